// peer-tokenize.js VOCAB MAX_TOKENS < texts.jsonl: the reference token ids,
// from @huggingface/tokenizers (a JS implementation independent of ours),
// configured as all-MiniLM-L6-v2's tokenizer.json is: BertNormalizer
// (clean, CJK, lowercase, strip_accents null), BertPreTokenizer, WordPiece
// "##" with 100 characters per word, the [CLS] $A [SEP] template, and the
// five special tokens as added tokens. The peer does not truncate, so we
// cut to MAX_TOKENS the way the tokenizers library does ([SEP] kept last).
"use strict";
const fs = require("fs");
const { Tokenizer } = require("@huggingface/tokenizers");

const [vocabPath, maxArg] = process.argv.slice(2);
const max = Number(maxArg);
const tokens = fs.readFileSync(vocabPath, "utf8").split("\n");
if (tokens[tokens.length - 1] === "") tokens.pop();
const vocab = Object.fromEntries(tokens.map((t, i) => [t, i]));
const special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
const tokenizerJson = {
  version: "1.0",
  truncation: null,
  padding: null,
  added_tokens: special.map((t) => ({
    id: vocab[t], content: t, single_word: false, lstrip: false,
    rstrip: false, normalized: false, special: true,
  })),
  normalizer: {
    type: "BertNormalizer", clean_text: true, handle_chinese_chars: true,
    strip_accents: null, lowercase: true,
  },
  pre_tokenizer: { type: "BertPreTokenizer" },
  post_processor: {
    type: "TemplateProcessing",
    single: [
      { SpecialToken: { id: "[CLS]", type_id: 0 } },
      { Sequence: { id: "A", type_id: 0 } },
      { SpecialToken: { id: "[SEP]", type_id: 0 } },
    ],
    pair: [],
    special_tokens: {
      "[CLS]": { id: "[CLS]", ids: [vocab["[CLS]"]], tokens: ["[CLS]"] },
      "[SEP]": { id: "[SEP]", ids: [vocab["[SEP]"]], tokens: ["[SEP]"] },
    },
  },
  decoder: { type: "WordPiece", prefix: "##", cleanup: true },
  model: {
    type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##",
    max_input_chars_per_word: 100, vocab,
  },
};
const tok = new Tokenizer(tokenizerJson, {
  do_lower_case: true, model_max_length: 512, cls_token: "[CLS]",
  sep_token: "[SEP]", unk_token: "[UNK]", pad_token: "[PAD]",
  mask_token: "[MASK]", tokenize_chinese_chars: true, strip_accents: null,
});
const lines = fs.readFileSync(0, "utf8").split("\n").filter((l) => l.length);
const out = [];
for (const line of lines) {
  // sentence-transformers strip()s each text first
  let ids = tok.encode(JSON.parse(line).trim()).ids;
  if (ids.length > max) ids = ids.slice(0, max - 1).concat([vocab["[SEP]"]]);
  out.push(ids.join(" "));
}
process.stdout.write(out.join("\n") + "\n");
