#!/usr/bin/python3
"""gen-corpus.py KIND N SEED: writes N texts as JSON strings, one a line.

KIND "tokenizer": every hard case for BERT's tokenizer (accents, CJK,
emoji, RTL, control characters, combining marks, long words, URLs, code,
Jira keys, commit messages, texts over 256 tokens, empty, whitespace only,
random assigned code points). KIND "forward": plain engineering text of
varied length, for the forward-pass tests. KIND "bench": texts of exactly
N tokens (argument SEED is the token count; N texts = 64).

Deterministic for a given SEED. Everything is generated here; nothing is
copied from a dataset.

Known differences of the npm peer from the tokenizers library that
sentence-transformers runs (so they are left out of the corpus):
  * JS toLowerCase() turns a word-final capital sigma into final sigma
    (U+03C2); the Rust library, and we, give U+03C3;
  * the peer finds CJK ideographs by UTF-16 unit, so it misses those
    outside the BMP (U+20000 and up); the Rust library, and we, split them.
"""
import json
import random
import sys
import unicodedata

WORDS = ("the build failed because the pipeline timed out while waiting for "
         "postgres migrations deploy release rollback incident review merge "
         "request branch commit tenant warehouse metrics latency throughput "
         "queue worker plugin loader vector embedding tokenizer transformer "
         "attention layer normalisation jira issue github pull sprint epic "
         "story bug customer priority blocker critical minor trivial backlog "
         "refactor cleanup dependency upgrade security patch hotfix").split()
ACCENTED = ("café déjà naïve façade Ångström São Zürich Øresund Łódź Dvořák "
            "Ærøskøbing crème brûlée jalapeño Señor Müller Straße Ñandú "
            "İstanbul ŞİŞLİ Ğ Œuvre Þingvellir ðe ǅemal Ǆ ǈ Å ﬁnance ﬀ").split()
SCRIPTS = [
    "数据仓库的指标计算很慢，需要优化查询。", "日本語のテキストとカタカナ、ひらがな。",
    "한국어 텍스트 처리는 자모 분해가 필요합니다", "東京都千代田区 丸の内 1-1",
    "मानक हिन्दी पाठ और संयुक्ताक्षर", "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ",
    "Русский текст с ЗАГЛАВНЫМИ буквами и ёлкой", "ελληνικό κείμενο με τόνους ά έ ή ί ό ύ ώ ΐ",
    "العربية مع التشكيل: مَرْحَبًا بِكُمْ", "עברית עם ניקוד: שָׁלוֹם עוֹלָם",
    "\u200fRTL mark\u200e and LTR mark \u202bembedding\u202c", "தமிழ் எழுத்துகள்",
    "ქართული ანბანი", "Հայերեն տեքստ", "ᚠᛇᚻ᛫ᛒᛦᚦ runes", "Tiếng Việt có dấu: người Việt",
]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "❤️", "🚀", "🔥🔥", "✅", "⚠️", "1️⃣",
         "🏳️‍🌈", "🤖", "😂😂😂", "™", "©", "∑", "≤", "→", "€", "£", "¥", "°C"]
CONTROL = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f",
           "\x85", "\ufffd", "\u200b", "\u200d", "\ufeff", "\u00ad", "\t", "\n",
           "\r\n", "\u00a0", "\u2003", "\u3000", "\u2028", "\u2029", "\ue000"]
COMBINING = ["e\u0301", "a\u0308\u0304", "o\u0302\u0323", "Z\u0351\u0352\u0353\u0354",
             "n\u0303", "\u0301alone", "x\u20dd", "i\u0307", "A\u030a", "c\u0327"]


def words(r, n):
    return " ".join(r.choice(WORDS) for _ in range(n))


def assigned(r, lo, hi):
    while True:
        c = chr(r.randint(lo, hi))
        cat = unicodedata.category(c)
        # Cn may be assigned in a newer Unicode than one of the parties;
        # capital sigma: see the module note.
        if cat not in ("Cn", "Cs") and c != "\u03a3":
            return c


RANGES = [(0x20, 0x7e), (0xa0, 0x24f), (0x370, 0x3ff), (0x400, 0x4ff),
          (0x590, 0x6ff), (0x900, 0x97f), (0xe00, 0xe7f), (0x1100, 0x11ff),
          (0x2000, 0x206f), (0x2100, 0x22ff), (0x3000, 0x30ff), (0x4e00, 0x9fff),
          (0xac00, 0xd7a3), (0xf900, 0xfaff), (0xfe00, 0xfe6f), (0xff00, 0xffef),
          (0x1f300, 0x1f6ff), (0x1d400, 0x1d7ff), (0xe000, 0xe0ff)]


def random_unicode(r):
    out = []
    for _ in range(r.randint(1, 60)):
        lo, hi = r.choice(RANGES)
        out.append(assigned(r, lo, hi))
        if r.random() < 0.2:
            out.append(r.choice([" ", "\t", "\n", "\u3000"]))
    return "".join(out)


def tokenizer_text(r, i):
    k = i % 20
    if k == 0:
        return r.choice(["", " ", "   ", "\t\n", "\u3000\u2003", "\n\n\n", "\u00a0"])
    if k == 1:
        return " ".join(r.choice(ACCENTED) for _ in range(r.randint(1, 12)))
    if k == 2:
        return r.choice(SCRIPTS) + " " + r.choice(SCRIPTS)[: r.randint(1, 20)]
    if k == 3:
        return words(r, 4) + " " + "".join(r.choice(EMOJI) for _ in range(r.randint(1, 6)))
    if k == 4:
        return "".join(r.choice(CONTROL) + r.choice(WORDS) for _ in range(r.randint(1, 8)))
    if k == 5:
        return " ".join(r.choice(COMBINING) + r.choice(WORDS) for _ in range(r.randint(1, 6)))
    if k == 6:
        n = r.choice([98, 99, 100, 101, 102, 150, 400])
        w = "".join(r.choice("abcdefghijklmnopqrstuvwxyzé") for _ in range(n))
        return r.choice(["", "see ", "word "]) + w + r.choice(["", " end", "."])
    if k == 7:
        return r.choice([
            "https://github.com/acme/pulse-host/pull/%d/files#diff-%x" % (r.randint(1, 9999), r.getrandbits(40)),
            "http://jira.example.com/browse/PROJ-%d?focusedCommentId=%d" % (r.randint(1, 99999), r.randint(1, 10**6)),
            "mailto:ops+alerts@example.org", "ftp://files.example.net/a/b/c.tar.gz",
            "/var/lib/pulse-host/models/all-MiniLM-L6-v2/model.safetensors",
        ]) + " " + words(r, 3)
    if k == 8:
        return r.choice([
            "for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }",
            "def f(x: int) -> dict[str, list[int]]:\n    return {'k': [x ** 2]}",
            '{"tenant_id": 42, "tags": ["a", "b"], "ok": true, "ratio": 0.75e-3}',
            "SELECT count(*) FROM q_issues WHERE status <> 'Done' AND key ~ '^PROJ-';",
            "x->y && !z || (a >> 2) != ~b; // C++ i++ --j @decorator $var %mod ^xor `tick`",
            "if [[ -n \"${FOO:-}\" ]]; then echo $((1+2)) | tee -a /tmp/x; fi",
        ])
    if k == 9:
        return "%s-%d %s %s-%d" % (r.choice(["PROJ", "OPS", "ABC", "DATA2"]), r.randint(1, 99999),
                                    words(r, r.randint(1, 5)), r.choice(["SEC", "UI"]), r.randint(1, 999))
    if k == 10:
        return "%s(%s): %s (#%d)\n\n%s\n\nSigned-off-by: Dev <dev@example.com>\nCo-authored-by: a-b_c" % (
            r.choice(["fix", "feat", "chore", "refactor", "Revert \"feat"]), r.choice(["api", "db", "ci"]),
            words(r, r.randint(2, 8)), r.randint(1, 5000), words(r, r.randint(5, 30)))
    if k == 11:
        # well over 256 tokens
        return " ".join(words(r, 10) + r.choice([".", ",", ";", "!", "?"]) for _ in range(r.randint(30, 60)))
    if k == 12:
        return "%040x %s v%d.%d.%d-rc.%d 2026-12-05T04:13:05Z 3.14159 1,234,567.89 $1.5M 50%% 10^6" % (
            r.getrandbits(160), words(r, 2), r.randint(0, 9), r.randint(0, 20), r.randint(0, 99), r.randint(1, 9))
    if k == 13:
        return r.choice(["[SEP] between", "a[CLS]b", "[cls] lowercase is not special", "[MASK]",
                         "[UNK][PAD]x", "[ SEP ]", "[SEP"]) + " " + words(r, 2)
    if k in (14, 15, 16):
        return random_unicode(r)
    if k == 17:
        return words(r, r.randint(1, 20)).upper()
    if k == 18:
        return " ".join(w.capitalize() + r.choice(["", ".", "...", "—", "–", "'s", "’s", "\u2026"])
                        for w in r.sample(WORDS, r.randint(1, 15)))
    return "  " + words(r, r.randint(1, 40)) + "  \n"


def forward_text(r, i):
    n = [1, 2, 5, 12, 30, 60, 120][i % 7]
    t = words(r, r.randint(max(1, n // 2), n))
    return t[0].upper() + t[1:] + r.choice([".", "!", "?", ""])


# Words that are one token each in BERT's uncased vocab.
ONE_TOKEN = ("the build failed because pipeline timed out while waiting for deploy "
             "release review merge request branch commit queue worker layer issue "
             "sprint story bug customer priority critical minor patch security "
             "upgrade data time run test code file team user service error fix "
             "change new old fast slow").split()


def bench_text(r, ntok):
    # [CLS] + (ntok - 2) one-token words + [SEP]
    return " ".join(r.choice(ONE_TOKEN) for _ in range(ntok - 2))


def main():
    kind, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    r = random.Random(seed)
    for i in range(n):
        if kind == "tokenizer":
            t = tokenizer_text(r, i)
        elif kind == "forward":
            t = forward_text(r, i)
        elif kind == "bench":
            t = bench_text(r, seed)
        else:
            sys.exit("gen-corpus: unknown kind " + kind)
        print(json.dumps(t))


if __name__ == "__main__":
    main()
