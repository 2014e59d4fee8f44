"""The decoding tests import their fake models from ``decoding_fakes.py`` beside them."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
