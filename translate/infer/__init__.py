"""Inference: everything that decodes with a trained model; the graphs are the model's own
(`search`, `search_graph`, `alignment`; see `translate.models.TranslationModel`).

Modules:
  `codec`           a model's vocabularies (word or subword): source lines to ids, output
                    ids to text; TF-free, shared with the export runtime
  `interactive`     the original's `--decode` loop and one-sentence greedy decoding
  `batch`           `BatchTranslator`: batched decoding (greedy or beam search, n-best),
                    files in and out (`--input_file`/`--output_file`)
  `modes`           `--decode` with the opt-in flags (--beam_size, --nbest, --input_file,
                    --attention_plot, --replace_unk)
  `attention_plot`  the attention of a translation mapped to the words, drawn as a heatmap
  `unk`             `--replace_unk`: each `_UNK` output becomes its most-attended source word
  `evaluation`      `--eval` and validation: translate, score (sacreBLEU 13a, chrF), time
  `metrics`         exact match, and BLEU and chrF by sacrebleu
  `export`          `--export_dir`: a SavedModel that translates strings, or (--export_format)
                    a TFLite / ONNX file with the decoding loop inside
  `runtime`         `--exported_model`: an export run by its own runtime, without TensorFlow;
                    also the home of the prompt loop
"""
