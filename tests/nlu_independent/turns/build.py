"""Build the multi-turn NLU evaluation files from conversations_labelled.txt.

Outputs (all in this directory):
  CONVERSATIONS.md   the 40 conversations as plain text (entity markup stripped, intent shown)
  turns.yml          Rasa NLU YAML, labelled turns of the Simplified-script conversations
  turns_trad.yml     Rasa NLU YAML, labelled turns of the Traditional-script conversations
  turns_index.tsv    one row per labelled turn: id, script, intent, previous bot line, text

Run: python tests/nlu_independent/turns/build.py
"""
import collections
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "conversations_labelled.txt"

FAQ = ("accessibility airport_transfer baggage booking_confirmation breakfast business_hours "
       "cancellation_policy change_policy checkin_time checkout_time children deposit discounts "
       "extra_bed flight_checkin group_booking id_documents insurance invoice late_arrival "
       "luggage_storage parking payment_deadline payment_methods pets price_guarantee smoking "
       "ticket_pickup tour_meeting_point visa weather wifi").split()
INTENTS = set(("greet goodbye thank affirm deny bot_challenge request_human search_hotel "
               "search_ticket search_tour book check_booking change_booking cancel_booking "
               "refund_status payment_issue complaint emergency membership give_rating inform "
               "out_of_scope").split()) | {"faq/" + t for t in FAQ}
TAGS = {"city": "city", "date": "date", "n": "number_of_people", "hotel": "hotel_name",
        "attr": "attraction_name", "ref": "booking_ref", "phone": "phone", "pt": "product_type"}
PT_VALUES = {"hotel", "tour", "flight", "train", "bus"}
ENT = re.compile(r"\[([^\[\]|]+)\|([a-z]+)(?:=([^\]]+))?\]")


def to_rasa(text):
    def rep(m):
        span, tag, value = m.group(1), m.group(2), m.group(3)
        if tag not in TAGS:
            sys.exit(f"unknown tag {tag!r} in {text!r}")
        ent = TAGS[tag]
        if ent == "product_type" and value not in PT_VALUES:
            sys.exit(f"product_type needs a value in {text!r}")
        if value:
            return "[%s]%s" % (span, json.dumps({"entity": ent, "value": value}, ensure_ascii=False))
        return "[%s](%s)" % (span, ent)
    out = ENT.sub(rep, text)
    if "|" in out or re.search(r"\[[^\]]*$", out):
        sys.exit(f"malformed markup in {text!r}")
    return out


def plain(text):
    return ENT.sub(lambda m: m.group(1), text)


def parse():
    convs, cur = [], None
    for raw in SRC.read_text(encoding="utf-8").splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("=== "):
            cid, script, title = [x.strip() for x in line[4:].split("|")]
            assert script in ("hans", "hant"), line
            cur = {"id": cid, "script": script, "title": title, "goal": "", "turns": []}
            convs.append(cur)
        elif line.startswith("goal:"):
            cur["goal"] = line[5:].strip()
        elif line.startswith("B:"):
            cur["turns"].append(("B", None, line[2:].strip()))
        elif line.startswith("U"):
            head, text = line.split(":", 1) if not line.startswith("U faq/") else \
                (line[:line.index(":", 6)], line[line.index(":", 6) + 1:])
            intent = head[1:].strip() or None
            if intent is not None and intent not in INTENTS:
                sys.exit(f"unknown intent {intent!r}: {line}")
            cur["turns"].append(("U", intent, text.strip()))
        else:
            sys.exit(f"cannot parse: {line}")
    return convs


def main():
    convs = parse()
    rows, seen = [], {}
    for c in convs:
        users = [t for t in c["turns"] if t[0] == "U"]
        if users[0][1] is not None:
            sys.exit(f"{c['id']}: first traveller turn must be unlabelled")
        if any(t[1] is None for t in users[1:]):
            sys.exit(f"{c['id']}: a later traveller turn is unlabelled")
        n, prev_bot = 0, ""
        for kind, intent, text in c["turns"]:
            if kind == "B":
                prev_bot = text
                continue
            n += 1
            if intent is None:
                continue
            ex = to_rasa(text)
            key = re.sub(r"\s+", " ", plain(text)).strip()
            if key in seen:
                sys.exit(f"duplicate example {key!r} ({seen[key]} and {c['id']}-T{n})")
            seen[key] = f"{c['id']}-T{n}"
            rows.append({"id": f"{c['id']}-T{n}", "script": c["script"], "intent": intent,
                         "bot": prev_bot, "example": ex, "plain": plain(text)})

    # YAML files
    for script, fname in (("hans", "turns.yml"), ("hant", "turns_trad.yml")):
        by_intent = collections.OrderedDict()
        for r in rows:
            if r["script"] == script:
                by_intent.setdefault(r["intent"], []).append(r["example"])
        head = ("# Multi-turn evaluation set: traveller turns 2..n of the %s conversations in\n"
                "# CONVERSATIONS.md, labelled by their meaning in context. Generated by build.py\n"
                "# from conversations_labelled.txt; edit that file, not this one.\n"
                % ("Simplified-script" if script == "hans" else "Traditional-script (Taiwan / Hong Kong)"))
        out = [head, 'version: "3.1"', "nlu:"]
        for intent in sorted(by_intent):
            out.append(f"- intent: {intent}")
            out.append("  examples: |")
            out.extend(f"    - {e}" for e in by_intent[intent])
        (HERE / fname).write_text("\n".join(out) + "\n", encoding="utf-8")

    # index
    with open(HERE / "turns_index.tsv", "w", encoding="utf-8") as f:
        f.write("id\tscript\tintent\tprevious_bot_line\ttext\n")
        for r in rows:
            f.write("\t".join([r["id"], r["script"], r["intent"], r["bot"], r["plain"]]) + "\n")

    # conversations
    md = ["# Multi-turn conversations (TripDesk independent NLU evaluation)", "",
          "40 invented conversations. Only the traveller turns after the first one are labelled",
          "and exported (turns.yml / turns_trad.yml); the bot lines are plausible replies written",
          "to make the context clear, not the real bot's output. `→ intent` shows the label.",
          "Generated by build.py from conversations_labelled.txt (which also holds the entity markup).", ""]
    for c in convs:
        md.append(f"## {c['id']} · {'简体' if c['script'] == 'hans' else '繁體'} · {c['title']}")
        md.append("")
        md.append(f"*Goal card:* {c['goal']}")
        md.append("")
        n = 0
        for kind, intent, text in c["turns"]:
            if kind == "B":
                md.append(f"- **TripDesk:** {text}")
            else:
                n += 1
                lab = f"  `→ {intent}`" if intent else "  *(opening turn, not labelled)*"
                md.append(f"- **旅客 T{n}:** {plain(text)}{lab}")
        md.append("")
    (HERE / "CONVERSATIONS.md").write_text("\n".join(md), encoding="utf-8")

    cnt = collections.Counter(r["intent"] for r in rows)
    trad = sum(r["script"] == "hant" for r in rows)
    print(f"conversations: {len(convs)} ({sum(c['script'] == 'hant' for c in convs)} Traditional)")
    print(f"labelled turns: {len(rows)} (Traditional {trad}, {100 * trad / len(rows):.1f} %)")
    for k, v in sorted(cnt.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {k:28s} {v}")


if __name__ == "__main__":
    main()
