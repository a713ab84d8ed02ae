${header}
// Host register map of network "${m.net_name}" (semifreddo.regmap: the model lives in Python,
// this file is its layout).  32-bit AXI4-Lite; the host accesses the SHADOW bank.

addrmap ${m.regblock_module} {
    name = "${m.net_name} configuration registers";
    desc = "Identification, control and status, and the shadow bank of the trainable cores' run-time settings and weights (one value per 32-bit word).";
    default regwidth = 32;
    default accesswidth = 32;

% for reg in [r for r in m.registers.values() if not r.external]:
    reg {
        name = ${q(reg.name)};
        desc = ${q(reg.desc)};
% for f in reg.fields:
        ${rdl_field(f)}
% endfor
    } ${reg.name} @ 0x${"%03x" % reg.address};

% endfor
% if sblock is not None:
    external regfile {
        name = "settings";
        desc = "Run-time settings of the shadow bank (served by ${m.top_module}: two banks of flops).";
% for reg in m.settings:
        reg {
            name = ${q(reg.name)};
            desc = ${q(reg.desc)};
% for f in reg.fields:
            ${rdl_field(f)}
% endfor
        } ${reg.name}${"[%d]" % reg.count if reg.array else ""} @ 0x${"%x" % (reg.address - sblock.base)}${" += 4" if reg.array else ""};
% endfor
    } settings @ 0x${"%04x" % sblock.base};

% endif
% if wblock is not None:
    external addrmap {
        name = "weights";
        desc = "Shadow bank of every weight and bias memory, packed back to back (served by ${m.top_module}: one two-bank memory each).";
% for r in sorted(m.memories.values(), key=lambda r: r.base):
        external mem {
            name = ${q(r.name)};
            desc = ${q(r.desc + "; %d-bit %s values, one per word" % (r.value_width, "signed" if r.signed else "unsigned"))};
            mementries = ${r.count};
            memwidth = 32;
            sw = rw;
        } ${r.name} @ 0x${"%04x" % (r.base - wblock.base)};

% endfor
    } weights @ 0x${"%04x" % wblock.base};

% endif
};
