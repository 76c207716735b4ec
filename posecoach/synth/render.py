"""Drawing the performer: shaded solids over a room, through the pinhole camera.

Limbs are capsules, the trunk and pelvis are convex solids built from elliptical rings, the
head is a sphere with hair, eyes, nose, mouth and ears. Each solid is drawn in two tones (its
lit side lighter), solids further from the camera are darker, and everything is drawn back to
front. The room (a wall with a skirting board and a picture or window, a floor with planks or
tiles, an exercise mat, and any props such as a bench to rest a foot on) is drawn once per
clip, since the camera does not move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from posecoach.synth.camera import Camera
from posecoach.synth.figure import Figure, Frame3, Skeleton, landmark

Colour = tuple[int, int, int]  # BGR

_SHIFT = 4  # sub-pixel bits for OpenCV's drawing calls
_ONE = 1 << _SHIFT

_SKIN_TONES: tuple[Colour, ...] = (
    (189, 214, 244),
    (160, 190, 230),
    (122, 163, 212),
    (96, 135, 190),
    (68, 102, 150),
    (45, 70, 110),
)
_HAIR: tuple[Colour, ...] = (
    (25, 25, 30),
    (30, 50, 80),
    (60, 90, 140),
    (120, 170, 210),
    (90, 90, 95),
)
_CLOTHES: tuple[Colour, ...] = (
    (170, 90, 40),
    (60, 60, 180),
    (70, 140, 60),
    (40, 40, 45),
    (200, 200, 205),
    (120, 60, 120),
    (30, 120, 200),
    (110, 110, 110),
    (150, 120, 40),
)
_WALLS: tuple[Colour, ...] = (
    (215, 225, 230),
    (190, 205, 215),
    (200, 210, 190),
    (225, 215, 200),
    (170, 180, 185),
)
_FLOORS: tuple[Colour, ...] = ((70, 110, 150), (90, 130, 170), (120, 120, 125), (60, 75, 95))
_MATS: tuple[Colour, ...] = (
    (140, 80, 40),
    (80, 60, 150),
    (90, 140, 60),
    (60, 60, 60),
    (150, 110, 170),
)


_BENCHES: tuple[Colour, ...] = ((50, 70, 105), (95, 95, 100), (60, 110, 140), (150, 150, 145))


@dataclass(frozen=True)
class Box:
    """A box standing in the room (a bench, a sofa seat, a step): its lowest and highest
    corners, world metres, edges along the world axes."""

    low_m: tuple[float, float, float]
    high_m: tuple[float, float, float]


@dataclass(frozen=True)
class Look:
    """How the performer and the room look; `from_seed` picks one at random."""

    skin: Colour
    hair: Colour
    shirt: Colour
    trousers: Colour
    shoes: Colour | None  # None: barefoot
    long_sleeves: bool
    shorts: bool
    wall: Colour
    floor: Colour
    floor_tiles: bool
    mat: Colour | None
    picture: Colour
    light_dir: tuple[float, float, float]  # toward the light, world

    @classmethod
    def from_seed(cls, rng: np.random.Generator) -> Look:
        def pick(options: tuple[Colour, ...]) -> Colour:
            return options[int(rng.integers(len(options)))]

        shirt = pick(_CLOTHES)
        trousers = pick(tuple(c for c in _CLOTHES if c != shirt))
        light = np.array([rng.uniform(-0.6, 0.6), 1.0, rng.uniform(-0.6, 0.6)])
        light /= np.linalg.norm(light)
        return cls(
            skin=pick(_SKIN_TONES),
            hair=pick(_HAIR),
            shirt=shirt,
            trousers=trousers,
            shoes=pick(((40, 40, 40), (230, 230, 230), (60, 60, 160)))
            if rng.random() < 0.5
            else None,
            long_sleeves=bool(rng.random() < 0.5),
            shorts=bool(rng.random() < 0.3),
            wall=pick(_WALLS),
            floor=pick(_FLOORS),
            floor_tiles=bool(rng.random() < 0.35),
            mat=pick(_MATS) if rng.random() < 0.8 else None,
            picture=pick(_CLOTHES),
            light_dir=(float(light[0]), float(light[1]), float(light[2])),
        )


def _scaled(colour: Colour, factor: float) -> Colour:
    return tuple(int(min(255, max(0, round(c * factor)))) for c in colour)  # type: ignore[return-value]


def _fixed(points_px: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(points_px) * _ONE).astype(np.int32)


def _fill_poly(image: np.ndarray, points_px: np.ndarray, colour: Colour) -> None:
    cv2.fillConvexPoly(image, _fixed(points_px), colour, cv2.LINE_AA, _SHIFT)


def _disc(image: np.ndarray, centre_px: np.ndarray, radius_px: float, colour: Colour) -> None:
    centre = _fixed(centre_px)
    radius = max(1, round(radius_px * _ONE))
    cv2.circle(image, (int(centre[0]), int(centre[1])), radius, colour, -1, cv2.LINE_AA, _SHIFT)


def _capsule_2d(
    image: np.ndarray, a: np.ndarray, b: np.ndarray, ra: float, rb: float, colour: Colour
) -> None:
    along = b - a
    length = float(np.hypot(*along))
    if length > 1e-6:
        normal = np.array([-along[1], along[0]]) / length
        _fill_poly(
            image,
            np.array([a + normal * ra, b + normal * rb, b - normal * rb, a - normal * ra]),
            colour,
        )
    _disc(image, a, ra, colour)
    _disc(image, b, rb, colour)


@dataclass
class _Solid:
    depth_m: float
    draw: Callable[[np.ndarray], None]


class Renderer:
    """Draws skeletons of one `Figure` with one `Look` through one `Camera`."""

    def __init__(
        self, figure: Figure, look: Look, camera: Camera, props: tuple[Box, ...] = ()
    ) -> None:
        self.figure = figure
        self.look = look
        self.camera = camera
        self.props = props
        self._light = np.array(look.light_dir)
        self._background = self._draw_room()

    # -- the room ---------------------------------------------------------------------------

    def _draw_room(self) -> np.ndarray:
        cam = self.camera
        width, height = cam.size_wh
        image = np.empty((height, width, 3), np.uint8)
        # Wall: a vertical gradient, lighter toward the top.
        ramp = np.linspace(1.08, 0.85, height)[:, None, None]
        image[:] = np.clip(np.array(self.look.wall, float)[None, None, :] * ramp, 0, 255).astype(
            np.uint8
        )
        right, _, ahead = cam.axes
        flat_ahead = np.array([ahead[0], 0.0, ahead[2]])
        flat_ahead /= np.linalg.norm(flat_ahead)
        target = np.array([cam.target[0], 0.0, cam.target[2]])
        wall_at = target + flat_ahead * 2.5  # the wall stands 2.5 m behind the person

        def wall_point(across_m: float, up_m: float) -> np.ndarray:
            return wall_at + right * across_m + np.array([0.0, up_m, 0.0])

        # A picture or a window on the wall.
        frame = np.array(
            [wall_point(a, u) for a, u in ((0.6, 1.3), (1.5, 1.3), (1.5, 2.0), (0.6, 2.0))]
        )
        px, depth = cam.project(frame)
        if (depth > 0.2).all():
            _fill_poly(image, px, _scaled(self.look.picture, 0.9))
            inner = px.mean(axis=0) + (px - px.mean(axis=0)) * 0.85
            _fill_poly(image, inner, _scaled(self.look.picture, 1.2))
        # Floor: everything below the wall's base, then a skirting board along it.
        span = 30.0
        base = np.array([wall_point(-span, 0.0), wall_point(span, 0.0)])
        near = np.array([cam.position + right * -span, cam.position + right * span])
        near[:, 1] = 0.0
        near += flat_ahead * 0.3
        floor_px, _ = cam.project(np.array([base[0], base[1], near[1], near[0]]))
        floor_px[2:, 1] = np.maximum(floor_px[2:, 1], height * 4)
        _fill_poly(image, floor_px, self.look.floor)
        board = np.array(
            [
                wall_point(-span, 0.0),
                wall_point(span, 0.0),
                wall_point(span, 0.1),
                wall_point(-span, 0.1),
            ]
        )
        _fill_poly(image, cam.project(board)[0], _scaled(self.look.wall, 0.7))
        self._floor_texture(image, wall_at, flat_ahead, right)
        self._mat(image)
        for box in self.props:
            self._box(image, box)
        return image

    def _floor_texture(
        self, image: np.ndarray, wall_at: np.ndarray, flat_ahead: np.ndarray, right: np.ndarray
    ) -> None:
        cam = self.camera
        line_colour = _scaled(self.look.floor, 0.8)
        steps = np.linspace(-8.0, 8.0, 81)
        spacing = 0.5 if self.look.floor_tiles else 0.16
        directions = (right, flat_ahead) if self.look.floor_tiles else (right,)
        for along in directions:
            across = flat_ahead if along is right else right
            for offset in np.arange(-6.0, 6.0, spacing):
                points = (
                    wall_at
                    + across * (offset - 2.5 * (across is flat_ahead))
                    + np.outer(steps, along)
                )
                points[:, 1] = 0.0
                px, depth = cam.project(points)
                keep = depth > 0.3
                if keep.sum() >= 2:
                    cv2.polylines(
                        image, [_fixed(px[keep])], False, line_colour, 1, cv2.LINE_AA, _SHIFT
                    )

    def _mat(self, image: np.ndarray) -> None:
        if self.look.mat is None:
            return
        centre = np.array([self.camera.target[0], 0.005, self.camera.target[2]])
        corners = np.array([[-1.0, -0.32], [1.0, -0.32], [1.0, 0.32], [-1.0, 0.32]])
        # The mat runs along the person's facing direction (+x in the performer's world).
        points = np.array([centre + np.array([a, 0.0, b]) for a, b in corners])
        px, depth = self.camera.project(points)
        if (depth > 0.2).all():
            _fill_poly(image, px, self.look.mat)

    def _box(self, image: np.ndarray, box: Box) -> None:
        """A prop, drawn into the room: the performer is always in front of it or on it."""
        low, high = np.array(box.low_m), np.array(box.high_m)
        # Upholstery that stands out from the performer's clothes and from the floor.
        colour = next(
            c for c in _BENCHES if c not in (self.look.trousers, self.look.shirt, self.look.floor)
        )
        for axis in range(3):
            for sign in (-1.0, 1.0):
                normal = np.zeros(3)
                normal[axis] = sign
                centre = (low + high) / 2 + normal * (high - low) / 2
                if normal @ (self.camera.position - centre) <= 0:
                    continue  # a face turned away from the camera
                u, v = (a for a in range(3) if a != axis)
                corners = []
                for du, dv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                    corner = centre.copy()
                    corner[u] += du * (high[u] - low[u]) / 2
                    corner[v] += dv * (high[v] - low[v]) / 2
                    corners.append(corner)
                px, depth = self.camera.project(np.array(corners))
                if (depth <= 0.2).any():
                    continue
                factor = 0.75 + 0.3 * float(np.clip(normal @ self._light, -1.0, 1.0))
                _fill_poly(image, px, _scaled(colour, factor))
                cv2.polylines(
                    image, [_fixed(px)], True, _scaled(colour, 0.6), 1, cv2.LINE_AA, _SHIFT
                )

    def room(self) -> np.ndarray:
        """One frame of the room alone (a camera that has lost the performer); BGR, (h, w, 3)."""
        return self._background.copy()

    # -- the performer ----------------------------------------------------------------------

    def draw(self, skeleton: Skeleton) -> np.ndarray:
        """One frame: the room with the performer in `skeleton`'s posture."""
        image = self.room()
        solids = self._solids(skeleton)
        for solid in sorted(solids, key=lambda s: -s.depth_m):
            solid.draw(image)
        return image

    def _shade(
        self, colour: Colour, depth_m: float, normal: np.ndarray | None
    ) -> tuple[Colour, Colour]:
        """(base, lit) tones of a solid: darker further away, lighter where the light falls."""
        far = np.clip((depth_m - self._mid_depth) / 0.25, -1.0, 1.0)
        factor = 0.92 - 0.22 * far
        if normal is not None:
            factor *= 0.8 + 0.25 * float(np.clip(normal @ self._light, -1.0, 1.0))
        return _scaled(colour, factor), _scaled(colour, factor * 1.18)

    def _capsule(
        self, a3: np.ndarray, b3: np.ndarray, ra_m: float, rb_m: float, colour: Colour
    ) -> _Solid:
        cam = self.camera
        (a, b), (da, db) = cam.project(np.array([a3, b3]))
        ra, rb = cam.pixels_per_m(da) * ra_m, cam.pixels_per_m(db) * rb_m
        axis = b3 - a3
        norm = float(np.linalg.norm(axis))
        # The cylinder's side facing the light: the light direction minus its part along the axis.
        lit_normal = (
            self._light - (axis @ self._light) * axis / norm**2 if norm > 0 else self._light
        )
        base, lit = self._shade(colour, (da + db) / 2, lit_normal)
        light_2d = cam.to_camera(cam.position + self._light)[:2] * np.array([1.0, -1.0])
        light_2d = light_2d / (np.linalg.norm(light_2d) + 1e-9)

        def draw(image: np.ndarray) -> None:
            _capsule_2d(image, a, b, ra, rb, base)
            shift = light_2d * 0.3
            _capsule_2d(image, a + shift * ra, b + shift * rb, ra * 0.55, rb * 0.55, lit)

        return _Solid((da + db) / 2, draw)

    def _ring(
        self, centre: np.ndarray, frame: Frame3, half_width: float, half_depth: float
    ) -> np.ndarray:
        angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
        return (
            centre
            + np.outer(np.cos(angles) * half_width, frame.left)
            + np.outer(np.sin(angles) * half_depth, frame.fwd)
        )

    def _hull(self, rings: list[np.ndarray], colour: Colour, normal: np.ndarray) -> _Solid:
        cam = self.camera
        points = np.concatenate(rings)
        px, depth = cam.project(points)
        hull = cv2.convexHull(px.astype(np.float32)).reshape(-1, 2).astype(float)
        centre = px.mean(axis=0)
        base, lit = self._shade(colour, float(depth.mean()), normal)
        light_2d = cam.to_camera(cam.position + self._light)[:2] * np.array([1.0, -1.0])
        light_2d = light_2d / (np.linalg.norm(light_2d) + 1e-9)
        extent = float(np.linalg.norm(hull - centre, axis=1).mean())

        def draw(image: np.ndarray) -> None:
            _fill_poly(image, hull, base)
            inner = centre + light_2d * extent * 0.18 + (hull - centre) * 0.68
            _fill_poly(image, inner, lit)

        return _Solid(float(depth.mean()), draw)

    def _solids(self, sk: Skeleton) -> list[_Solid]:
        f, look, lm = self.figure, self.look, sk.landmarks
        cam = self.camera
        self._mid_depth = float(cam.project(sk.pelvis[None])[1][0])
        solids: list[_Solid] = []
        sleeve = look.shirt if look.long_sleeves else look.skin
        shin_colour = look.skin if look.shorts else look.trousers
        for side in ("left", "right"):

            def p(joint: str, side: str = side) -> np.ndarray:
                return lm[landmark(side, joint)]

            solids += [
                self._capsule(
                    p("hip"), p("knee"), f.thigh_r_m * 1.15, f.shin_r_m * 1.1, look.trousers
                ),
                self._capsule(p("knee"), p("ankle"), f.shin_r_m, f.shin_r_m * 0.7, shin_colour),
                self._capsule(p("heel"), p("foot"), 0.04, 0.035, look.shoes or look.skin),
                self._capsule(p("shoulder"), p("elbow"), f.arm_r_m, f.forearm_r_m, look.shirt),
                self._capsule(p("elbow"), p("wrist"), f.forearm_r_m, f.forearm_r_m * 0.8, sleeve),
                self._capsule(p("wrist"), (p("index") + p("pinky")) / 2, 0.03, 0.028, look.skin),
            ]
            # The ankle joins the shin to the foot.
            solids.append(
                self._capsule(
                    p("ankle"), (p("heel") + p("foot")) / 2, 0.04, 0.04, look.shoes or look.skin
                )
            )
        pf, cf = sk.pelvis_frame, sk.chest_frame
        waist = sk.pelvis + pf.up * f.torso_m * 0.3
        shoulders = sk.neck - cf.up * 0.04
        solids.append(
            self._hull(
                [
                    self._ring(waist, pf, f.shoulder_half_m * 0.78, f.waist_r_m),
                    self._ring(
                        sk.pelvis + pf.up * f.torso_m * 0.6,
                        cf,
                        f.shoulder_half_m * 0.9,
                        f.chest_r_m,
                    ),
                    self._ring(
                        shoulders, cf, f.shoulder_half_m + f.arm_r_m * 0.4, f.chest_r_m * 0.8
                    ),
                ],
                look.shirt,
                cf.fwd,
            )
        )
        solids.append(
            self._hull(
                [
                    # The buttocks lie behind the hip joints.
                    self._ring(
                        sk.pelvis - pf.up * 0.03 - pf.fwd * 0.03,
                        pf,
                        f.hip_half_m + f.thigh_r_m * 0.9,
                        f.waist_r_m,
                    ),
                    self._ring(waist, pf, f.shoulder_half_m * 0.78, f.waist_r_m * 0.95),
                ],
                look.trousers,
                pf.fwd,
            )
        )
        solids.append(
            self._capsule(
                sk.neck - cf.up * 0.03, sk.head - sk.head_frame.up * 0.05, 0.05, 0.045, look.skin
            )
        )
        solids.append(self._head(sk))
        return solids

    def _head(self, sk: Skeleton) -> _Solid:
        cam, look, r = self.camera, self.look, self.figure.head_r_m
        hf, lm = sk.head_frame, sk.landmarks
        to_camera = cam.position - sk.head
        to_camera /= np.linalg.norm(to_camera)
        facing = float(hf.fwd @ to_camera)
        hair_centre = sk.head - hf.fwd * r * 0.12 + hf.up * r * 0.1
        face_centre = sk.head + hf.fwd * r * 0.1 - hf.up * r * 0.06
        (hair_px, face_px, head_px), depths = cam.project(
            np.array([hair_centre, face_centre, sk.head])
        )
        scale = cam.pixels_per_m(float(depths[2]))
        skin, skin_lit = self._shade(look.skin, float(depths[2]), hf.fwd)
        feature = _scaled(look.skin, 0.55)
        points, _ = cam.project(lm)

        def draw(image: np.ndarray) -> None:
            _disc(image, hair_px, r * 1.02 * scale, look.hair)
            if facing > -0.55:
                _disc(image, face_px, r * 0.93 * scale, skin)
                _disc(image, face_px + (head_px - hair_px) * 0.3, r * 0.6 * scale, skin_lit)
            for side in ("left", "right"):
                outward = hf.left * (1 if side == "left" else -1)
                side_view = float(outward @ to_camera)
                if side_view > 0.2:  # the ear on the camera's side
                    _disc(
                        image,
                        points[landmark(side, "ear")],
                        r * 0.22 * scale,
                        _scaled(look.skin, 0.85),
                    )
                eye_view = facing * 0.8 + side_view * 0.6
                if eye_view > 0.1:
                    eye = points[landmark(side, "eye")]
                    _disc(image, eye, max(1.2, r * 0.13 * scale), (245, 245, 245))
                    _disc(
                        image,
                        eye + (points[0] - eye) * 0.1,
                        max(0.8, r * 0.08 * scale),
                        (40, 30, 30),
                    )
            if facing > -0.1:
                mouth = np.array(
                    [points[landmark("left", "mouth")], points[landmark("right", "mouth")]]
                )
                cv2.polylines(
                    image,
                    [_fixed(mouth)],
                    False,
                    (60, 60, 150),
                    max(1, int(r * 0.06 * scale)),
                    cv2.LINE_AA,
                    _SHIFT,
                )
                _disc(image, points[0], max(1.0, r * 0.14 * scale), feature)

        return _Solid(float(depths[2]), draw)
