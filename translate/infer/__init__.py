"""Inference: everything that decodes with a trained model; the graphs are the model's own
(`search`, `search_graph`, `alignment`; see `translate.models.TranslationModel`).

Modules:
  `interactive`     the original's `--decode` loop and one-sentence greedy decoding
  `batch`           `BatchTranslator`: batched decoding (greedy or beam search, n-best),
                    files in and out (`--input_file`/`--output_file`)
  `modes`           `--decode` with the opt-in flags (--beam_size, --nbest, --input_file,
                    --attention_plot)
  `attention_plot`  the attention of a translation mapped to the words, drawn as a heatmap
  `evaluation`      `--eval`: translate a file, score it, time it
  `metrics`         exact match, and BLEU and chrF by sacrebleu
  `export`          `--export_dir`: a SavedModel that translates strings, or (--export_format)
                    a TFLite / ONNX file with the decoding loop inside
  `runtime`         `--exported_model`: an export run by its own runtime, without TensorFlow;
                    also the home of the prompt loop and of how output ids are printed
"""
