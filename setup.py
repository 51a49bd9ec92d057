"""Install script for the TF 2 port of tf.contrib.legacy_seq2seq and the translate demo."""

from setuptools import find_packages, setup

setup(
    name="legacy-seq2seq",
    version="0.1.0",
    description=(
        "tf.contrib.legacy_seq2seq and the classic translate.py demo, ported to "
        "TensorFlow 2 with TF 1.15 variable names and numbers"
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.9",
    packages=find_packages(include=["legacy_seq2seq*", "translate*", "data_utils*"]),
    include_package_data=True,
    install_requires=[
        "tensorflow>=2.16",
        "numpy",
        "absl-py",
    ],
    extras_require={
        "test": ["pytest", "hypothesis", "ruff"],
        "bleu": ["sacrebleu>=2.0"],
        "plot": ["matplotlib"],
        "subword": ["sentencepiece>=0.2"],
        # --export_format tflite|onnx and --exported_model (translate/infer/runtime.py).
        "tflite": ["ai-edge-litert>=1.2"],
        "onnx": ["tf2onnx>=1.16", "onnxruntime>=1.17"],
    },
    entry_points={"console_scripts": ["legacy-translate=translate.__main__:run"]},
)
