"""Default grid of the phantom and the limits of its inputs (kept light: the command line parses with these before
it imports the generator)."""

DEFAULT_SHAPE = (192, 160, 128)  # voxels (x, y, z)
DEFAULT_SPACING = (2.0, 2.0, 2.5)  # mm
MAX_VOXELS_PER_AXIS = 1024
PHASES = ("non-contrast", "arterial", "portal-venous")
