"""Merge the workstation's messages (ui_messages.py) into the catalogs of
internal/i18n/locales, keeping every other message and its order."""
import json, os, sys
sys.path.insert(0, os.path.dirname(__file__))
from ui_messages import M, P
import ui_messages_tracing

for k in ui_messages_tracing.M.keys() | ui_messages_tracing.P.keys():
    assert k not in M and k not in P, "duplicate message " + k
M = {**M, **ui_messages_tracing.M}
P = {**P, **ui_messages_tracing.P}

LANGS = ["en", "ru", "kk", "uz-Latn", "ky", "tg", "tk"]
root = os.path.join(os.path.dirname(__file__), "..", "..", "internal", "i18n", "locales")
for i, tag in enumerate(LANGS):
    path = os.path.join(root, tag + ".json")
    with open(path, encoding="utf-8") as f:
        cat = json.load(f)
    cat = {k: v for k, v in cat.items() if not k.startswith("ui.")}
    for k, row in M.items():
        assert len(row) == 7, k
        cat[k] = row[i]
    for k, row in P.items():
        cat[k] = row[i]
    lines = []
    for k, v in cat.items():
        lines.append("  " + json.dumps(k, ensure_ascii=False) + ": " + json.dumps(v, ensure_ascii=False, separators=(", ", ": ")))
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")
print("merged", len(M) + len(P), "messages into", len(LANGS), "catalogs")
