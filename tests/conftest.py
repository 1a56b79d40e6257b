import sys
from pathlib import Path

from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))

# Property tests draw the same examples on every run and every machine (a failure can be
# replayed), and simulations are too slow for hypothesis's per-example deadline.
settings.register_profile("nomul", derandomize=True, database=None, deadline=None,
                          print_blob=True)
settings.load_profile("nomul")
