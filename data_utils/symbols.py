"""The special symbols every vocabulary begins with, and their ids.

Kept apart from the file-handling modules so that code without TensorFlow (a translator that
runs an exported model with its runtime only) reads the same constants.
"""

_PAD = b"_PAD"
_GO = b"_GO"
_EOS = b"_EOS"
_UNK = b"_UNK"
_START_VOCAB = [_PAD, _GO, _EOS, _UNK]

PAD_ID = 0
GO_ID = 1
EOS_ID = 2
UNK_ID = 3
