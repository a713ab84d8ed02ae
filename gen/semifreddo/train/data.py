"""Tasks, data and metrics of the training flow (NumPy + Pillow only: no PyTorch here).

The evaluation data are shipped or bundled, so the results table and the tests need
neither PyTorch nor scikit-image:

* **faces** (core a, classification head): face / non-face on scikit-image's
  ``lfw_subset`` (100 faces, 100 non-faces, 25x25 grey), upsampled to 128x128 and
  replicated to RGB.  The held-out split is shipped as ``weights/trained/faces_test.npz``.
* **denoise** (core b, dense head): noisy photograph (Gaussian σ = 50, seeded) → clean
  grey image at the head's 64x64 resolution (2x2 mean of the luma).
* **edges** (core b, dense head): photograph → Sobel edge magnitude of the luma at 64x64.
* **base** (frozen core, training only): from a photograph, eight classic low-level maps
  (luma, two colour-opponent channels, Sobel x/y, Laplacian, blur, local contrast).

Dense tasks are evaluated on the four bundled photographs ``weights/images/*.png``
(never seen in training: the flow trains on other scikit-image photographs).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import REPO_ROOT

TRAINED_DIR = REPO_ROOT / "weights" / "trained"
IMAGES_DIR = REPO_ROOT / "weights" / "images"
FACES_TEST = "faces_test.npz"
NOISE_SIGMA = 50.0
NOISE_SEED = 2024
EDGE_GAIN = 0.5

#: scikit-image photographs the flow trains on (grey ones replicated to RGB); the four
#: bundled test photographs (astronaut, chelsea, coffee, rocket) are not among them.
TRAIN_PHOTOS = ["camera", "coins", "clock", "brick", "grass", "gravel", "moon", "page", "text",
                "hubble_deep_field", "immunohistochemistry", "retina", "cell", "colorwheel"]

TASKS = {
    "faces": {"kind": "classification", "metric": "accuracy",
              "what": "face / non-face, lfw_subset (25x25 grey upsampled to 128x128 RGB)"},
    "denoise": {"kind": "dense", "metric": "PSNR",
                "what": f"Gaussian noise sigma {NOISE_SIGMA:g} on the photograph -> clean luma at 64x64"},
    "edges": {"kind": "dense", "metric": "PSNR",
              "what": f"photograph -> Sobel edge magnitude of the luma at 64x64 (x{EDGE_GAIN:g})"},
}


# --------------------------------------------------------------------------------------
# Image operations
# --------------------------------------------------------------------------------------

def luma(img: np.ndarray) -> np.ndarray:
    """(..., H, W, 3) → (..., H, W) float64, ITU-R BT.601 weights."""
    img = np.asarray(img, dtype=np.float64)
    return img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114


def down2(a: np.ndarray) -> np.ndarray:
    """2x2 mean over the first two axes of (H, W, ...) (H, W even)."""
    h, w = a.shape[:2]
    return a.reshape(h // 2, 2, w // 2, 2, *a.shape[2:]).mean(axis=(1, 3))


def _filter3(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    """3x3 correlation with edge replication, (H, W)."""
    p = np.pad(a, 1, mode="edge")
    h, w = a.shape
    return sum(k[i, j] * p[i:i + h, j:j + w] for i in range(3) for j in range(3))


SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64) / 4.0
LAPLACE = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float64)
BOX = np.full((3, 3), 1.0 / 9.0)


def sobel_magnitude(g: np.ndarray) -> np.ndarray:
    return np.hypot(_filter3(g, SOBEL_X), _filter3(g, SOBEL_X.T))


def add_noise(img: np.ndarray, rng: np.random.Generator, sigma: float = NOISE_SIGMA) -> np.ndarray:
    return np.clip(np.round(img + rng.normal(0.0, sigma, size=img.shape)), 0, 255).astype(np.int64)


def dense_target(task: str, clean: np.ndarray) -> np.ndarray:
    """Target of a dense task for a clean (H, W, 3) image: (H/2, W/2) float in [0, 255]."""
    g = luma(clean)
    if task == "denoise":
        return down2(g)
    if task == "edges":
        return np.clip(down2(sobel_magnitude(g)) * EDGE_GAIN * 4.0, 0, 255)
    raise ValueError(task)


def dense_input(task: str, clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return add_noise(clean, rng) if task == "denoise" else np.asarray(clean, dtype=np.int64)


def base_targets(clean: np.ndarray) -> np.ndarray:
    """The frozen core's base task: (H/2, W/2, 8) low-level maps of a clean RGB image."""
    img = np.asarray(clean, dtype=np.float64)
    g = luma(img)
    rg = img[..., 0] - img[..., 1]
    by = (img[..., 0] + img[..., 1]) / 2 - img[..., 2]
    gx, gy = _filter3(g, SOBEL_X), _filter3(g, SOBEL_X.T)
    lap = _filter3(g, LAPLACE)
    blur = _filter3(_filter3(g, BOX), BOX)
    contrast = np.sqrt(np.maximum(_filter3(g * g, BOX) - _filter3(g, BOX) ** 2, 0))
    return down2(np.stack([g, rg, by, gx, gy, lap, blur, contrast], axis=-1))


BASE_TARGET_NAMES = ["luma", "R-G", "Y-B", "sobel x", "sobel y", "laplacian", "blur", "local contrast"]


def upsample_face(face: np.ndarray, size: int = 128) -> np.ndarray:
    """25x25 grey u8 → (size, size, 3) int64 (Pillow bilinear)."""
    from PIL import Image

    img = Image.fromarray(np.asarray(face, dtype=np.uint8)).resize((size, size), Image.Resampling.BILINEAR)
    g = np.asarray(img, dtype=np.int64)
    return np.repeat(g[..., None], 3, axis=2)


# --------------------------------------------------------------------------------------
# Evaluation data (no scikit-image needed)
# --------------------------------------------------------------------------------------

def faces_test(folder: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The held-out faces: (N, 128, 128, 3) images and (N,) labels (1 = face)."""
    with np.load(Path(folder or TRAINED_DIR) / FACES_TEST) as z:
        faces, labels = z["faces"], z["labels"]
    return np.stack([upsample_face(f) for f in faces]), labels.astype(np.int64)


def test_photos() -> list[tuple[str, np.ndarray]]:
    """The bundled photographs (weights/images/*.png) as (name, (128, 128, 3) int64)."""
    from PIL import Image

    return [(p.stem, np.asarray(Image.open(p).convert("RGB"), dtype=np.int64))
            for p in sorted(IMAGES_DIR.glob("*.png"))]


def dense_eval(task: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, input image, target) for a dense task on the bundled photographs (seeded noise)."""
    out = []
    for i, (name, clean) in enumerate(test_photos()):
        rng = np.random.default_rng(NOISE_SEED + i)
        out.append((name, dense_input(task, clean, rng), dense_target(task, clean)))
    return out


# --------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------

def psnr(outputs: list[np.ndarray] | np.ndarray, targets: list[np.ndarray] | np.ndarray) -> float:
    """PSNR in dB (peak 255) of the mean squared error over all pixels of all images."""
    o = np.concatenate([np.asarray(x, dtype=np.float64).reshape(-1) for x in outputs])
    t = np.concatenate([np.asarray(x, dtype=np.float64).reshape(-1) for x in targets])
    mse = float(np.mean((o - t) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0 ** 2 / mse)


def accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Share of argmax(scores) == label (ties: lowest index, as the contract says)."""
    return float(np.mean(np.argmax(np.asarray(scores), axis=1) == np.asarray(labels)))
