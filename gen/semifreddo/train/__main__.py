import sys

from .flow import main

sys.exit(main())
