"""Old name of `legacy_seq2seq.beam_search` (greedy and beam-search decoding); kept for imports.

`legacy_seq2seq.decoding.X` is `legacy_seq2seq.beam_search.X` for every name.
"""

import sys

from legacy_seq2seq import beam_search

# The same module object under both names: `decoding.X` and patches of it are beam_search's.
sys.modules[__name__] = beam_search
