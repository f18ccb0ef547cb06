"""The per-seed anatomy: where every structure lies, how large it is, and the order in which it is painted.

Mean positions and sizes are those of an adult abdomen (anatomy frame, LPS mm: +x patient left, +y posterior,
+z superior, origin near the first lumbar vertebra). Each seed scales the whole body, jitters every organ's position,
size and orientation, adds bumps to organ surfaces and bends everything with one smooth displacement field.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .body import Diaphragm, Heart, Psoas, Table, Torso
from .fields import Deformation
from .labels import PhantomLabels
from .organs import HollowOrgan, Kidney, Solid, Tubular
from .painting import Layer
from .shapes import Bumps, Ellipsoid, Tube, rotation_matrix
from .skeleton import Ribs, Spine
from .tissues import Tissue

BODY = frozenset(
    {Tissue.SKIN, Tissue.SUBCUTANEOUS_FAT, Tissue.MUSCLE, Tissue.VISCERAL_FAT, Tissue.LUNG, Tissue.DIAPHRAGM}
)
CAVITY = frozenset({Tissue.VISCERAL_FAT})
THROUGH_DIAPHRAGM = frozenset(
    {Tissue.VISCERAL_FAT, Tissue.MEDIASTINAL_FAT, Tissue.LUNG, Tissue.DIAPHRAGM, Tissue.HEART_BLOOD, Tissue.MYOCARDIUM}
)


@dataclass(frozen=True)
class Anatomy:
    """Everything one seed draws: layers in painting order and the displacement applied to them."""

    layers: tuple[Layer, ...]
    deformation: Deformation
    liver: Solid


class _Draw:
    """Random draws in anatomy units: every length is multiplied by the body scale."""

    def __init__(self, rng: np.random.Generator, scale: float):
        self.rng = rng
        self.scale = scale

    def point(self, mean: tuple[float, float, float], sd: float = 5.0) -> np.ndarray:
        """A position (mm) around mean * scale."""
        return np.asarray(mean) * self.scale + self.rng.normal(0.0, sd, 3)

    def sizes(self, mean: tuple[float, ...], spread: float = 0.12) -> np.ndarray:
        """Lengths (mm) within +-spread of mean * scale."""
        return np.asarray(mean) * self.scale * self.rng.uniform(1.0 - spread, 1.0 + spread, len(mean))

    def turn(self, yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0, sd: float = 0.1) -> np.ndarray:
        """A rotation matrix near the given angles (rad)."""
        return rotation_matrix(*(np.asarray([yaw, pitch, roll]) + self.rng.normal(0.0, sd, 3)))

    def ellipsoid(self, centre, semi, bumps: float = 0.05, sd: float = 5.0, **angles: float) -> Ellipsoid:
        """A bumpy ellipsoid near the given centre, semi-axes and angles."""
        return Ellipsoid(self.point(centre, sd), self.sizes(semi), self.turn(**angles), Bumps.random(self.rng, bumps))

    def tube(self, control: list[tuple[float, float, float, float]], sd: float = 3.0) -> Tube:
        """A smooth tube through jittered (x, y, z, radius) control points."""
        points = np.array([self.point(c[:3], sd) for c in control])
        radii = np.array([c[3] for c in control]) * self.scale * self.rng.uniform(0.9, 1.1)
        return Tube.through(points, radii)


def build_anatomy(rng: np.random.Generator, labels: PhantomLabels) -> Anatomy:
    """Draw one patient's anatomy (all randomness from rng, none from the voxel grid).

    Painting order: body and skeleton, then bowel, solid organs and stomach (later organs win where they overlap an
    earlier one), then vessels, which win over organs they cross.
    """
    d = _Draw(rng, rng.uniform(0.92, 1.08))
    deformation = Deformation.random(rng, bound_mm=rng.uniform(4.0, 10.0))
    body, diaphragm_right = _body_layers(d, deformation)
    organs, liver, spleen = _organ_layers(d, labels)
    vessels = _vessel_layers(d, labels, spleen, diaphragm_right)
    return Anatomy(body + _bowel_layers(d, labels) + organs + vessels, deformation, liver)


def _body_layers(d: _Draw, deformation: Deformation) -> tuple[tuple[Layer, ...], float]:
    """Torso with ribs, diaphragm and lung bases, heart, psoas, spine and table; also the right dome's height (mm)."""
    rng, s = d.rng, d.scale
    lowest_rib = rng.uniform(-10.0, 10.0) * s
    rib_gap = rng.uniform(24.0, 30.0) * s
    ribs = Ribs(
        levels=lowest_rib + rib_gap * np.arange(10),
        reaches=np.array([1.35, 1.75, 2.3] + [2.55] * 7) + rng.normal(0.0, 0.05, 10),
        cartilage=np.arange(10) >= 2,
        drop=40.0 * s,
        half_height=5.5,
    )
    torso = Torso(
        cavity_half_width=125.0 * s * rng.uniform(0.95, 1.05),
        cavity_anterior=84.0 * s * rng.uniform(0.95, 1.05),
        cavity_posterior=92.0 * s,
        fat=rng.uniform(8.0, 32.0),
        muscle=rng.uniform(9.0, 14.0),
        lobe_amplitudes=rng.uniform(0.0, 0.025, 3),
        lobe_phases=rng.uniform(0.0, 2 * np.pi, 3),
        paraspinal_half_width=58.0 * s,
        paraspinal_front=64.0 * s,
        ribs=ribs,
    )
    right_dome = rng.uniform(112.0, 130.0) * s
    diaphragm = Diaphragm(
        right_dome=right_dome,
        left_dome=right_dome - rng.uniform(5.0, 18.0),
        dome_x=75.0 * s,
        curvature=0.006 / s,
        posterior_drop=0.3,
        thickness=4.0,
        mediastinum=45.0 * s,
    )
    heart = Heart(d.ellipsoid((20.0, -20.0, right_dome / s + 45.0), (60.0, 48.0, 50.0), bumps=0.03, yaw=0.3), diaphragm)
    spine = Spine(
        body_y=42.0 * s + rng.normal(0.0, 2.0),
        body_half_width=22.0 * s,
        body_half_depth=16.0 * s,
        pitch=rng.uniform(30.0, 35.0) * s,
        disc=rng.uniform(7.0, 10.0),
        disc_z=rng.uniform(0.0, 35.0),
        cortex=3.0,
    )
    psoas = Psoas(rng.uniform(-20.0, 0.0) * s, 0.18, 26.0 * s, 26.0 * s, 0.12, spine.body_y + 4.0)
    back = torso.outline[2] * (1.0 + float(torso.lobe_amplitudes.sum())) + deformation.bound
    layers = (
        Layer("torso", torso),
        Layer("diaphragm and lung bases", diaphragm, over=CAVITY),
        Layer("heart", heart, over=frozenset({Tissue.LUNG, Tissue.MEDIASTINAL_FAT})),
        Layer("psoas", psoas, over=CAVITY),
        Layer("spine", spine, over=BODY),
        Layer("table", Table(top=back + 5.0, half_width=230.0), over=frozenset({Tissue.AIR})),
    )
    return layers, right_dome


def _bowel_layers(d: _Draw, labels: PhantomLabels) -> tuple[Layer, ...]:
    """Colon (mottled stool, gas in the transverse colon), small-bowel loops and the duodenal C-loop."""
    rng, s = d.rng, d.scale
    colon_path = [
        (-70, -25, -125, 27),  # caecum
        (-88, 0, -70, 24),  # ascending colon
        (-84, -20, -15, 22),  # hepatic flexure
        (-55, -62, -25, 21),  # transverse colon
        (0, -72, -32, 21),
        (45, -64, -20, 21),
        (88, -20, 18, 21),  # splenic flexure
        (95, 12, -35, 18),  # descending colon
        (88, 5, -100, 18),
        (45, -18, -140, 17),  # sigmoid
        (0, 0, -165, 16),
    ]
    duodenum_path = [
        (-20, -42, 10, 10),  # bulb, from the pylorus
        (-42, -32, 6, 11),
        (-56, -14, -8, 11),  # descending part, lateral of the pancreatic head
        (-56, -10, -36, 11),
        (-30, -12, -58, 10),  # horizontal part, in front of IVC and aorta
        (5, -14, -56, 10),
        (24, -10, -34, 9),  # ascending part to the duodenojejunal flexure
        (30, -12, -14, 9),
    ]
    hollow = dict(wall_tissue=Tissue.BOWEL_WALL)
    colon = HollowOrgan(
        (d.tube(colon_path),), 2.0, -55.0 * s + rng.uniform(-10.0, 15.0), content_tissue=Tissue.FECES, **hollow
    )
    small_bowel = HollowOrgan(
        (_small_bowel_path(d),), 2.0, -70.0 * s + rng.uniform(-5.0, 10.0), content_tissue=Tissue.BOWEL_FLUID, **hollow
    )
    duodenum = HollowOrgan(
        (d.tube(duodenum_path),), 2.5, -50.0 * s + rng.uniform(-5.0, 10.0), content_tissue=Tissue.BOWEL_FLUID, **hollow
    )
    organ = dict(over=CAVITY, over_labelled=True)
    return (
        Layer("colon", colon, label=labels.colon, **organ),
        Layer("small bowel", small_bowel, label=labels.small_bowel, **organ),
        Layer("duodenum", duodenum, label=labels.duodenum, **organ),
    )


def _organ_layers(d: _Draw, labels: PhantomLabels) -> tuple[tuple[Layer, ...], Solid, Ellipsoid]:
    """Liver, stomach, spleen, kidneys, gallbladder, pancreas and adrenal glands; also the liver and spleen shapes."""
    rng = d.rng
    liver = Solid(
        (
            d.ellipsoid((-68.0, -5.0, 58.0), (62.0, 78.0, 72.0), bumps=0.06, yaw=0.15),  # right lobe
            d.ellipsoid((0.0, -48.0, 72.0), (58.0, 32.0, 36.0), bumps=0.06, yaw=0.3, roll=-0.2),  # left lobe
        ),
        Tissue.LIVER,
    )
    stomach_tube = d.tube(
        [(42, 18, 100, 34), (58, -12, 70, 36), (45, -42, 38, 28), (12, -55, 18, 18), (-20, -42, 10, 11)]
    )
    stomach = HollowOrgan(
        (stomach_tube,),
        wall=rng.uniform(3.0, 5.0),
        gas_level=float((stomach_tube.centreline[:, 1] - stomach_tube.radii).min()) + rng.uniform(0.0, 25.0),
        wall_tissue=Tissue.STOMACH_WALL,
        content_tissue=Tissue.STOMACH_FLUID,
    )
    spleen = d.ellipsoid((92.0, 45.0, 62.0), (20.0, 50.0, 45.0), bumps=0.07, yaw=0.5, roll=0.3)
    kidney_size = (26.0, 23.0, 52.0)
    right_kidney = Kidney(
        d.ellipsoid((-78.0, 52.0, -48.0), kidney_size, bumps=0.03, yaw=-0.6, pitch=0.2),
        np.array([1.0, 0.0, 0.0]),
        rng.uniform(0.65, 0.75),
    )
    left_kidney = Kidney(
        d.ellipsoid((78.0, 50.0, -32.0), kidney_size, bumps=0.03, yaw=0.6, pitch=-0.2),
        np.array([-1.0, 0.0, 0.0]),
        rng.uniform(0.65, 0.75),
    )
    gallbladder = d.ellipsoid((-55.0, -45.0, 14.0), (15.0, 17.0, 36.0), bumps=0.04, roll=-0.6)
    pancreas = d.tube(
        [(-32, -12, -2, 15), (-8, -20, 6, 11), (25, -10, 14, 10), (62, 12, 22, 9), (82, 30, 28, 8)], sd=2.0
    )
    organ = dict(over=CAVITY, over_labelled=True)
    layers = (
        Layer("liver", liver, label=labels.liver, **organ),
        Layer("stomach", stomach, label=labels.stomach, **organ),
        Layer("spleen", Solid((spleen,), Tissue.SPLEEN), label=labels.spleen, **organ),
        Layer("right kidney", right_kidney, label=labels.right_kidney, **organ),
        Layer("left kidney", left_kidney, label=labels.left_kidney, **organ),
        Layer("gallbladder", Solid((gallbladder,), Tissue.GALLBLADDER_BILE), label=labels.gallbladder, **organ),
        Layer("pancreas", Tubular((pancreas,), Tissue.PANCREAS), label=labels.pancreas, **organ),
        Layer("right adrenal gland", _adrenal(d, right_kidney.shape, 1.0), label=labels.right_adrenal_gland, **organ),
        Layer("left adrenal gland", _adrenal(d, left_kidney.shape, -1.0), label=labels.left_adrenal_gland, **organ),
    )
    return layers, liver, spleen


def _vessel_layers(d: _Draw, labels: PhantomLabels, spleen: Ellipsoid, right_dome: float) -> tuple[Layer, ...]:
    """Renal and hepatic veins, portal and splenic vein, IVC into the heart, aorta, iliac vessels."""
    s = d.scale
    hilum = spleen.centre + np.array([-22.0, -8.0, -5.0]) * s
    confluence = (-10.0, -4.0, 6.0)
    portal_splenic = Tubular(
        (
            d.tube(
                [confluence + (7.0,), (-28, -10, 24, 7), (-45, -8, 38, 7), (-70, -4, 46, 5), (-90, 2, 52, 4)], sd=2.0
            ),
            d.tube([(-45, -8, 38, 5), (-25, -25, 52, 4.5), (-5, -42, 62, 3.5)], sd=2.0),  # left portal branch
            d.tube([confluence + (5.0,), (25, 2, 14, 4.5), (62, 24, 24, 4.5), tuple(hilum / s) + (4.5,)], sd=1.5),
        ),
        Tissue.PORTAL_BLOOD,
    )
    ivc_top = right_dome / s + 12.0
    ivc = d.tube([(-22, 16, -115, 10), (-23, 14, -60, 10), (-25, 10, 20, 11), (-28, 8, 80, 11), (-20, 5, ivc_top, 12)])
    aorta = d.tube([(14, 14, -100, 9), (15, 13, -40, 10), (14, 12, 30, 11), (16, 16, 100, 12), (24, 20, 200, 13)])
    iliac_veins = (d.tube([(-22, 16, -113, 9), (-55, 30, -175, 8)]), d.tube([(-22, 16, -113, 9), (30, 30, -175, 8)]))
    iliac_arteries = (d.tube([(14, 14, -98, 6.5), (45, 18, -175, 6)]), d.tube([(14, 14, -98, 6.5), (-20, 18, -175, 6)]))
    renal_veins = (
        d.tube([(60, 38, -30, 4.5), (25, -4, -28, 4.5), (-22, 10, -30, 5)]),  # left: in front of the aorta
        d.tube([(-60, 40, -46, 5), (-24, 14, -42, 5)]),
    )
    renal_arteries = (
        d.tube([(14, 14, -25, 3), (58, 42, -28, 3)]),
        d.tube([(14, 14, -28, 3), (-20, 26, -38, 3), (-58, 44, -46, 3)]),  # right: behind the IVC
    )
    hepatic_veins = tuple(
        d.tube([start, middle, (-26, 8, 104, 8)])
        for start, middle in (
            ((-95, 0, 62, 4), (-60, 4, 88, 6)),
            ((-50, -45, 55, 4), (-38, -18, 88, 6)),
            ((5, -50, 72, 4), (-10, -20, 95, 6)),
        )
    )
    return (
        Layer("renal veins", Tubular(renal_veins, Tissue.CAVAL_BLOOD), over=CAVITY),
        Layer("renal arteries", Tubular(renal_arteries, Tissue.ARTERIAL_BLOOD), over=CAVITY),
        Layer("hepatic veins", Tubular(hepatic_veins, Tissue.HEPATIC_VEIN), within=labels.liver),
        Layer(
            "portal and splenic vein",
            portal_splenic,
            label=labels.portal_and_splenic_vein,
            over=CAVITY,
            over_labelled=True,
        ),
        Layer(
            "inferior vena cava",
            Tubular((ivc,), Tissue.CAVAL_BLOOD),
            label=labels.inferior_vena_cava,
            over=THROUGH_DIAPHRAGM,
            over_labelled=True,
        ),
        Layer("iliac veins", Tubular(iliac_veins, Tissue.CAVAL_BLOOD), over=CAVITY),
        Layer(
            "aorta",
            Tubular((aorta,), Tissue.ARTERIAL_BLOOD),
            label=labels.aorta,
            over=THROUGH_DIAPHRAGM,
            over_labelled=True,
        ),
        Layer("iliac arteries", Tubular(iliac_arteries, Tissue.ARTERIAL_BLOOD), over=CAVITY),
    )


def _adrenal(d: _Draw, kidney: Ellipsoid, medial: float) -> Solid:
    """Inverted-V adrenal gland just above and medial of a kidney's upper pole: two thin limbs from one apex.

    medial: +1 for the right gland (medial is +x), -1 for the left.
    """
    s = d.scale
    top = kidney.centre + kidney.rotation[:, 2] * kidney.semi_axes[2]
    apex = top + np.array([16.0 * medial, -8.0, 14.0]) * s + d.rng.normal(0.0, 2.0, 3)
    limbs = tuple(
        Ellipsoid(
            apex + np.array([0.0, 7.0 * side, -8.0]) * s,
            d.sizes((3.2, 11.0, 14.0), spread=0.15),
            d.turn(yaw=0.3 * medial, roll=-0.45 * side, sd=0.08),
            Bumps.random(d.rng, 0.04),
        )
        for side in (-1.0, 1.0)
    )
    return Solid(limbs, Tissue.ADRENAL)


def _small_bowel_path(d: _Draw) -> Tube:
    """Small-bowel loops: a serpentine tube, five rows running across the mid and lower abdomen, each row at its
    own depth, with jittered turning points."""
    control = []
    for row, z in enumerate((-38.0, -62.0, -86.0, -110.0, -132.0)):
        xs = (-50.0, -18.0, 18.0, 50.0) if row % 2 == 0 else (50.0, 18.0, -18.0, -50.0)
        for n, x in enumerate(xs):
            y = (-40.0 if (n + row) % 2 == 0 else -15.0) + d.rng.uniform(-8.0, 8.0)
            control.append((x + d.rng.uniform(-6.0, 6.0), y, z + d.rng.uniform(-5.0, 5.0), 12.0))
    return d.tube(control, sd=2.0)
