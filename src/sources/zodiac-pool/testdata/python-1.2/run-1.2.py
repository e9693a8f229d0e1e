# pollect 1.2 with its three hard-coded Zodiac hosts pointed at the fake (argv[1]); the rest of
# argv is pollect's command line. Run from an empty folder: 1.2 keeps ./zodiac-token.json.
import sys

sys.path.insert(0, "/tmp/pollect-py12")
from pollect.libs.zodiac.ZodiacApi import ZodiacApi  # noqa: E402

ZodiacApi.SHADOW_URL = ZodiacApi.API_URL = ZodiacApi.PRM_URL = sys.argv[1]
sys.argv = ["pollect"] + sys.argv[2:]
import pollect.Pollect  # noqa: E402

pollect.Pollect.main()
