"""Where the programs and the source tree under test are: from CTest's
ENVIRONMENT (tests/integration/CMakeLists.txt, bench/CMakeLists.txt), with
the installed names and the current directory as fallbacks."""
import os

AGENT = os.environ.get("GFI_AGENT", "gfi-agent")
SIM = os.environ.get("GFI_SIM", "gfi-meter-sim")
AGGREGATOR = os.environ.get("GFI_AGGREGATOR", "gfi-aggregator")
PROFILES = os.environ.get("GFI_PROFILES", "firmware-config/profiles")
SOURCE = os.environ.get("GFI_SOURCE_DIR", ".")
PKI_SH = os.path.join(SOURCE, "deploy", "pki.sh")
RENDER_SH = os.path.join(SOURCE, "deploy", "render-broker.sh")
