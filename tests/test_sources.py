"""Image sources decode what OpenCV cannot, through Pillow."""

import numpy as np
import PIL.Image

from posecoach.model.opening import open_source


def test_an_avif_photo_saved_under_a_jpg_name_is_read(tmp_path):
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[:, :30] = (200, 30, 30)  # red on the left, black on the right
    path = tmp_path / "photo.jpg"
    PIL.Image.fromarray(rgb).save(path, format="AVIF", quality=95)
    with open_source(path) as source:
        (frame,) = list(source)
    assert frame.image.shape == (40, 60, 3)
    blue, green, red = frame.image[20, 10].astype(int)  # OpenCV order: BGR
    assert red > 150 and blue < 80 and green < 80
    assert frame.image[20, 50].max() < 40
