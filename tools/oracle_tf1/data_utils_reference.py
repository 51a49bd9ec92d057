"""Write the golden outputs of the original translate-tutorial data_utils.py (TF 1.15, Python 3.7).

The project's `data_utils` package must write byte-identical files. This script runs the
ORIGINAL module (tensorflow/models, tutorials/rnn/translate/data_utils.py, the last version,
whose `prepare_data` ends with `tokenizer=None`) on:

- hand-made awkward text (ties, non-ASCII, invalid UTF-8, punctuation, digits, empty and blank
  lines, CRLF and lone CR, tabs, vertical tab / form feed, NUL, the special symbols as words,
  no final newline), with several vocabulary sizes, tokenizers and `normalize_digits`;
- a subset of the real corpus (every 100th training line, every 10th dev line);
- the full real corpus (only sha256 digests of the outputs are stored);
- a miniature WMT download (archives served by file:// URLs) through `prepare_wmt_data`;
- single sentences, for `basic_tokenizer` and `sentence_to_token_ids`.

It writes `tests/data_utils/golden/` (inputs, outputs and `manifest.json`); the tests in
`tests/data_utils/` replay every case with the TF 2 package and compare bytes.

The original is not part of this repository. Put a copy anywhere outside it, e.g. from
https://github.com/tensorflow/models/blob/1eb9d4628b09493b24e5062f4050faee86ec8ee8/tutorials/rnn/translate/data_utils.py
(saved as /tmp/orig/data_utils.py), then from the repository root:

    ~/tf1/bin/python tools/oracle_tf1/data_utils_reference.py \
        --original /tmp/orig/data_utils.py \
        --corpus ../shared/corpus/tatoeba_en_fr \
        --out tests/data_utils/golden

The output is deterministic: running it again gives the same files.
"""

from __future__ import print_function

import argparse
import binascii
import contextlib
import gzip
import hashlib
import importlib.util
import io
import json
import os
import random
import shutil
import sys
import tarfile
import tempfile

# Custom tokenizers exercised by the golden cases; tests/data_utils/golden_cases.py defines
# the same ones under the same names.
TOKENIZERS = {
    None: None,
    "split": lambda sentence: sentence.split(),
    "lower_split": lambda sentence: sentence.lower().split(),
}

# Hand-made awkward text: the "from" side.
AWKWARD_FROM = b"".join([
    b"The cat sat on the mat. The dog sat, too!\n",
    b"\n",
    b"   \t  \n",
    b"Caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9e \xe2\x80\x94 "
    b"\xc3\xa7a co\xc3\xbbte 3,50 \xe2\x82\xac.\n",
    b"Il a dit\xc2\xa0: \xc2\xab bonjour \xc2\xbb\xe2\x80\xaf! (vraiment?)\n",
    b"Numbers: 1984, 2001; 3.14 and 42nd street -- 007 "
    b"\xd9\xa3\xd9\xa4 \xef\xbc\x91\xef\xbc\x92\n",
    b"invalid \xff\xfe bytes \xc3 alone \xed\xa0\x80 surrogate \xc3\xa9\n",
    b"windows line ending\r\n",
    b"lone\rcarriage return inside\n",
    b"tabs\tbetween\twords\x0bvertical\x0cformfeed\n",
    b"quotes \"double\" 'single' don't it's rock'n'roll\n",
    b"((nested)) ... !!! ??? ;;; ::: ,,, a.b.c\n",
    b"_UNK _PAD _GO _EOS are not special here _UNK\n",
    b"a b c d e f g h a b c d e f g h\n",
    b"h g f e d c b a 12 34 56 78\n",
    b"\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 emoji 9\xef\xb8\x8f\xe2\x83\xa3\n",
    b"null\x00byte and \x1c file \x1d separators \x85 next-line\n",
    b"UPPER lower Upper 1st 2nd 3rd 21st\n",
    b"last line without newline 2021",
])

# The "to" side: as many lines as AWKWARD_FROM once read the way TF reads lines (every CR is
# dropped, and the final lone CR is no line at all).
AWKWARD_TO = b"".join([
    b"Le chat \xc3\xa9tait assis sur le tapis. Le chien aussi !\n",
    b"\n",
    b"\r\n",
    b"\xc3\x87a co\xc3\xbbte 3,50\xc2\xa0\xe2\x82\xac \xe2\x80\x94 cher\xe2\x80\xaf?\n",
    b"\xc2\xab Bonjour \xc2\xbb, dit-il.\n",
    b"Nombres : 1984, 2001 ; 3,14 et la 42e rue \xe2\x80\x93 007\n",
    b"octets invalides \xff\xfe \xc3 seul \xc3\xa9\n",
    b"fin de ligne windows\r\n",
    b"retour\r\r chariot\n",
    b"tab\tulations\n",
    b"guillemets \"doubles\" 'simples' aujourd'hui l'\xc3\xa9t\xc3\xa9\n",
    b"((imbriqu\xc3\xa9s)) ... !!! ??? ;;; ::: ,,,\n",
    b"_UNK _GO ne sont pas sp\xc3\xa9ciaux _EOS\n",
    b"a b c d e f g h a b c d e f g h\n",
    b"h g f e d c b a\n",
    b"\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 \xc3\xa9moji\n",
    b"octet\x00nul\n",
    b"MAJUSCULES minuscules Majuscules 1er 2e\n",
    b"derni\xc3\xa8re ligne 2021\n",
    b"\r",
])

# Line splitting corner cases for a single file.
CR_EDGES = b"\r\n\r\r\n\ra\rb\r\nc d\n\n\r\n  x  \r\ny\r"


def load_original(path):
    spec = importlib.util.spec_from_file_location("original_data_utils", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_bytes(path, data):
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory)
    with open(path, "wb") as stream:
        stream.write(data)


def read_bytes(path):
    with open(path, "rb") as stream:
        return stream.read()


def hexlify(data):
    return binascii.hexlify(data).decode("ascii")


@contextlib.contextmanager
def quiet():
    """Hide the original's progress prints."""
    saved = sys.stdout
    sys.stdout = io.StringIO()
    try:
        yield
    finally:
        sys.stdout = saved


def vocabulary_json(original, path):
    vocab, rev_vocab = original.initialize_vocabulary(path)
    return {
        "rev_vocab": [hexlify(word) for word in rev_vocab],
        "vocab": [[hexlify(word), index] for word, index in vocab.items()],
    }


def file_cases(original, out, work):
    """create_vocabulary / data_to_token_ids on single awkward files."""
    inputs = {"awkward/from.txt": AWKWARD_FROM, "awkward/to.txt": AWKWARD_TO,
              "awkward/cr_edges.txt": CR_EDGES}
    for name, data in sorted(inputs.items()):
        write_bytes(os.path.join(out, name), data)
    cases = []
    for data_name in sorted(inputs):
        stem = os.path.splitext(os.path.basename(data_name))[0]
        for tokenizer in (None, "split", "lower_split"):
            for normalize_digits in (True, False):
                for size in (4, 10, 17, 100000):
                    name = "%s_%s_%s_%d" % (stem, tokenizer or "basic",
                                            "digits" if normalize_digits else "raw", size)
                    vocab_path = os.path.join(work, name + ".vocab")
                    ids_path = os.path.join(work, name + ".ids")
                    data_path = os.path.join(out, data_name)
                    with quiet():
                        original.create_vocabulary(vocab_path, data_path, size,
                                                   TOKENIZERS[tokenizer], normalize_digits)
                    golden_vocab = "awkward/out/%s.vocab" % name
                    write_bytes(os.path.join(out, golden_vocab), read_bytes(vocab_path))
                    case = {"name": name, "data": data_name, "tokenizer": tokenizer,
                            "normalize_digits": normalize_digits, "max_vocabulary_size": size,
                            "vocabulary": golden_vocab,
                            "initialize_vocabulary": vocabulary_json(original, vocab_path)}
                    with quiet():
                        original.data_to_token_ids(data_path, ids_path, vocab_path,
                                                   TOKENIZERS[tokenizer], normalize_digits)
                    case["ids"] = "awkward/out/%s.ids" % name
                    write_bytes(os.path.join(out, case["ids"]), read_bytes(ids_path))
                    cases.append(case)
    return cases


def run_prepare_data(original, out, work, name, inputs, sizes):
    """prepare_data on four input files; stores every output file."""
    run_dir = os.path.join(work, name)
    os.makedirs(run_dir)
    for base, relative in inputs.items():
        shutil.copy(os.path.join(out, relative), os.path.join(run_dir, base))
    with quiet():
        result = original.prepare_data(
            run_dir, os.path.join(run_dir, "from_train"), os.path.join(run_dir, "to_train"),
            os.path.join(run_dir, "from_dev"), os.path.join(run_dir, "to_dev"),
            sizes[0], sizes[1])
    outputs = {}
    for base in sorted(os.listdir(run_dir)):
        if base in inputs:
            continue
        relative = "%s/out/%s" % (name, base)
        write_bytes(os.path.join(out, relative), read_bytes(os.path.join(run_dir, base)))
        outputs[base] = relative
    return {"name": name, "inputs": inputs, "sizes": list(sizes), "outputs": outputs,
            "returned": [os.path.relpath(path, run_dir) for path in result]}


def subset_lines(path, step):
    with open(path, "rb") as stream:
        return b"".join(line for index, line in enumerate(stream) if index % step == 0)


def prepare_cases(original, out, work, corpus):
    cases = [run_prepare_data(
        original, out, work, "awkward_pair",
        {"from_train": "awkward/from.txt", "to_train": "awkward/to.txt",
         "from_dev": "awkward/to.txt", "to_dev": "awkward/from.txt"},
        (12, 15))]
    subset = {"from_train": ("train.en", 100), "to_train": ("train.fr", 100),
              "from_dev": ("dev.en", 10), "to_dev": ("dev.fr", 10)}
    inputs = {}
    for base, (source, step) in sorted(subset.items()):
        inputs[base] = "corpus_subset/%s" % source
        write_bytes(os.path.join(out, inputs[base]),
                    subset_lines(os.path.join(corpus, source), step))
    cases.append(run_prepare_data(original, out, work, "corpus_subset", inputs, (800, 1000)))
    return cases


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def corpus_digests(original, work, corpus):
    """Digests of the outputs on the full corpus (too big to store)."""
    names = ["train.en", "train.fr", "dev.en", "dev.fr"]
    results = {"inputs": {name: sha256_file(os.path.join(corpus, name)) for name in names},
               "prepare_data": [], "raw_digits": []}
    for sizes in ((40000, 40000), (2000, 3000)):
        run_dir = os.path.join(work, "full_%d_%d" % sizes)
        os.makedirs(run_dir)
        for name in names:
            shutil.copy(os.path.join(corpus, name), run_dir)
        with quiet():
            original.prepare_data(run_dir, *[os.path.join(run_dir, name) for name in names],
                                  from_vocabulary_size=sizes[0], to_vocabulary_size=sizes[1])
        results["prepare_data"].append({
            "sizes": list(sizes),
            "outputs": {name: sha256_file(os.path.join(run_dir, name))
                        for name in sorted(os.listdir(run_dir)) if name not in names}})
    # normalize_digits=False is only reachable through the two lower-level functions.
    run_dir = os.path.join(work, "full_raw")
    os.makedirs(run_dir)
    with quiet():
        original.create_vocabulary(os.path.join(run_dir, "vocab"),
                                   os.path.join(corpus, "train.fr"), 5000, None, False)
        original.data_to_token_ids(os.path.join(corpus, "dev.fr"),
                                   os.path.join(run_dir, "dev.fr.ids"),
                                   os.path.join(run_dir, "vocab"), None, False)
        original.data_to_token_ids(os.path.join(corpus, "train.fr"),
                                   os.path.join(run_dir, "train.fr.ids"),
                                   os.path.join(run_dir, "vocab"), None, False)
    results["raw_digits"] = {
        "vocabulary": {"data": "train.fr", "max_vocabulary_size": 5000,
                       "sha256": sha256_file(os.path.join(run_dir, "vocab"))},
        "ids": {name: sha256_file(os.path.join(run_dir, name + ".ids"))
                for name in ("train.fr", "dev.fr")}}
    return results


def build_wmt_archives(source_dir, target_dir):
    """The two WMT archives, holding the given small files under the real names."""
    train_tar = os.path.join(target_dir, "training-giga-fren.tar")
    with tarfile.open(train_tar, "w") as archive:
        for lang in ("en", "fr"):
            data = gzip.compress(read_bytes(
                os.path.join(source_dir, "giga-fren.release2.fixed.%s" % lang)))
            info = tarfile.TarInfo("giga-fren.release2.fixed.%s.gz" % lang)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    dev_tgz = os.path.join(target_dir, "dev-v2.tgz")
    with tarfile.open(dev_tgz, "w:gz") as archive:
        for name in ("newstest2012.en", "newstest2013.en", "newstest2013.fr"):
            data = read_bytes(os.path.join(source_dir, name))
            info = tarfile.TarInfo("dev/" + name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return train_tar, dev_tgz


def wmt_case(original, out, work, corpus):
    """prepare_wmt_data with the downloads served from file:// URLs."""
    sources = {
        "giga-fren.release2.fixed.en": subset_lines(os.path.join(corpus, "train.en"), 500)
        + AWKWARD_FROM + b"\n",
        "giga-fren.release2.fixed.fr": subset_lines(os.path.join(corpus, "train.fr"), 500)
        + AWKWARD_TO.replace(b"\n\r", b"\n"),
        "newstest2013.en": subset_lines(os.path.join(corpus, "dev.en"), 40),
        "newstest2013.fr": subset_lines(os.path.join(corpus, "dev.fr"), 40),
        # A member the original leaves in the archive.
        "newstest2012.en": b"not extracted\n",
    }
    for name, data in sources.items():
        write_bytes(os.path.join(out, "wmt", name), data)
    served = os.path.join(work, "served")
    os.makedirs(served)
    train_tar, dev_tgz = build_wmt_archives(os.path.join(out, "wmt"), served)
    original._WMT_ENFR_TRAIN_URL = "file://" + train_tar
    original._WMT_ENFR_DEV_URL = "file://" + dev_tgz
    data_dir = os.path.join(work, "wmt_data")
    with quiet():
        result = original.prepare_wmt_data(data_dir, 300, 400)
    outputs = {}
    for base in sorted(os.listdir(data_dir)):
        if base.endswith((".tar", ".tgz", ".gz")):
            outputs[base] = None  # archives: only their presence is compared
            continue
        relative = "wmt/out/%s" % base
        write_bytes(os.path.join(out, relative), read_bytes(os.path.join(data_dir, base)))
        outputs[base] = relative
    return {"sizes": [300, 400], "outputs": outputs,
            "returned": [os.path.relpath(path, data_dir) for path in result]}


def random_sentences(count, seed):
    """Random byte strings biased towards the characters the tokenizer treats specially."""
    rng = random.Random(seed)
    alphabet = [b"a", b"B", b"z", b"0", b"7", b"9", b" ", b"  ", b"\t", b"\n", b"\r", b"\x0b",
                b"\x0c", b".", b",", b"!", b"?", b"\"", b"'", b":", b";", b")", b"(", b"-",
                b"_", b"\xc3\xa9", b"\xe2\x80\xaf", b"\xc2\xa0", b"\xff", b"\x00", b"_UNK",
                b"cat", b"the"]
    return [b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
            for _ in range(count)]


def sentence_cases(original, out):
    """basic_tokenizer and sentence_to_token_ids on single sentences."""
    vocab, _ = original.initialize_vocabulary(
        os.path.join(out, "awkward/out/from_basic_digits_100000.vocab"))
    sentences = AWKWARD_FROM.split(b"\n") + CR_EDGES.split(b"\n") + random_sentences(300, 1234)
    cases = []
    for sentence in sentences:
        cases.append({
            "sentence": hexlify(sentence),
            "tokens": [hexlify(token) for token in original.basic_tokenizer(sentence)],
            "ids_digits": original.sentence_to_token_ids(sentence, vocab, None, True),
            "ids_raw": original.sentence_to_token_ids(sentence, vocab, None, False),
            "ids_split_raw": original.sentence_to_token_ids(sentence, vocab,
                                                            TOKENIZERS["split"], False),
        })
    return {"vocabulary": "awkward/out/from_basic_digits_100000.vocab", "cases": cases}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--original", required=True, help="path of the original data_utils.py")
    parser.add_argument("--corpus", required=True, help="directory with train/dev .en/.fr")
    parser.add_argument("--out", required=True, help="golden directory to (re)write")
    args = parser.parse_args()
    original = load_original(args.original)
    # Start from a clean slate, keeping only the hand-written README.md.
    for name in os.listdir(args.out) if os.path.isdir(args.out) else []:
        if name != "README.md":
            path = os.path.join(args.out, name)
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
    work = tempfile.mkdtemp(prefix="data_utils_reference_")
    try:
        manifest = {
            "original": "tensorflow/models tutorials/rnn/translate/data_utils.py "
                        "(prepare_data(..., tokenizer=None) version)",
            "files": file_cases(original, args.out, work),
            "prepare_data": prepare_cases(original, args.out, work, args.corpus),
            "wmt": wmt_case(original, args.out, work, args.corpus),
            "sentences": sentence_cases(original, args.out),
            "full_corpus": corpus_digests(original, work, args.corpus),
        }
    finally:
        shutil.rmtree(work)
    with open(os.path.join(args.out, "manifest.json"), "w") as stream:
        json.dump(manifest, stream, indent=1, sort_keys=True)
        stream.write("\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
