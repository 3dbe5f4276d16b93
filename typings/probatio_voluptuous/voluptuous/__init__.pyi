# Home Assistant 2026.9 and later answer "import voluptuous" with probatio,
# its successor with the same API (developers' blog, 2026-09-30), and type
# the flows' schemas as probatio's. scripts/lint type-checks against those
# releases with this stub first on the search path, so that mypy sees what
# runs; against older releases it reads voluptuous itself.
from probatio import *
