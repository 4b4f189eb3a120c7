#!/usr/bin/env python3
"""gen-contacts.py - writes a synthetic contact log for a council
housing-repairs service, for Territory's demand study (territory demand).

    scripts/gen-contacts.py --seed 7 --rows 400 > demand/housing-repairs.csv

Six weeks of contacts (Monday 2 February to Friday 13 March 2026) by phone,
web form, e-mail and walk-in, in tenants' own words. Tenants report repairs
(value demand) and then chase them, report that nobody came, that the job
was not done right, or ring the wrong place (failure demand). Most rows are
coded value/failure with a type; some are left empty for classification.

The service changes on Monday 2 March 2026: from then on the first call
books a firm appointment and the same operative goes back until the job is
done. Failure demand falls, more contacts are resolved first time, fewer are
handed off, and cases close sooner, so `--split 2026-03-02` shows the shift.

Two rows carry the mistakes real exports carry (a date typed the British
way, a handoffs count written as words), so the import's rejected-row report
has something to show.

The output depends only on --seed and --rows: the generator uses nothing
but random.Random(seed).random() and arithmetic, so it is byte for byte the
same on every platform and Python 3 version.
"""

import argparse
import csv
import datetime
import io
import sys

START = datetime.datetime(2026, 2, 2)  # a Monday
DAYS = 40  # to Friday 13 March, end of day
CHANGE = datetime.datetime(2026, 3, 2)  # the new way of working starts
BACKLOG = 21  # days of cases opened before the log starts
END = START + datetime.timedelta(days=DAYS - 1, hours=18)

HEADER = ["id", "received_at", "channel", "service", "words", "demand",
          "type", "what_matters", "resolved_first_contact", "handoffs",
          "case_id", "case_closed_at"]

SERVICES = [("Responsive repairs", 55), ("Damp and mould", 25),
            ("Gas and heating", 20)]

REPORT_WORDS = {
    "Responsive repairs": [
        "The kitchen tap won't stop dripping, can someone come and look at it",
        "Water's coming through the bathroom ceiling from the flat above",
        "Our front door lock is broken and we can't lock it at night",
        "The window in my son's room won't shut properly",
        "Toilet is leaking at the base, there's water all over the floor",
        "Hole in the kitchen ceiling where the plaster came down",
        "Lights keep tripping every time I use the oven",
        "The back gate has come off its hinges",
        "Extractor fan in the bathroom has stopped working",
        "Kitchen cupboard door fell off and nearly hit my daughter",
    ],
    "Damp and mould": [
        "There's black mould all over the bedroom wall",
        "Damp patch in the corner of the living room is spreading",
        "Mould on the baby's bedroom ceiling, she keeps coughing",
        "Condensation running down the windows every morning, "
        "the sills are rotten",
        "The wallpaper is peeling off with the damp behind the wardrobe",
    ],
    "Gas and heating": [
        "The boiler's making a banging noise and there's no hot water",
        "Radiators are stone cold, we've got a newborn",
        "Boiler keeps losing pressure, I've topped it up three times",
        "No heating since Saturday, I'm 79 and it's freezing",
        "Pilot light keeps going out on the boiler",
    ],
}

SERVICE_WORDS = {
    "Responsive repairs": [
        "I need a grab rail fitted in the bathroom for my mum",
        "Can someone put a new lock on the shed, I've lost the key",
    ],
    "Damp and mould": [
        "Can you come and check the damp before I decorate",
    ],
    "Gas and heating": [
        "Can I book my annual gas safety check",
        "Can you send someone to bleed the radiators, I can't manage it myself",
    ],
}

FAILURE_WORDS = {
    "progress-chasing": [
        "When is someone coming?",
        "I reported this two weeks ago and nobody has called me back",
        "Just ringing to see where my repair is up to",
        "Is anyone coming today? I've taken the day off work",
        "I was told someone would ring me with a date, nobody has",
        "How much longer do we have to wait, the kids are sleeping in the "
        "front room",
        "Can you tell me when the engineer is booked for?",
        "Still waiting to hear back about my repair",
        "I've spent \u00a360 on electric heaters, when is someone coming to "
        "fix the boiler?",
    ],
    "not done": [
        "Nobody turned up, I waited in all day",
        "The engineer came but didn't have the part and left",
        "They said they'd come back Tuesday and didn't",
        "Operative came, looked at it and said it's not his job",
        "Nobody came again, that's twice I've stayed off work",
    ],
    "repeat": [
        "This is the third time I've rung about the damp",
        "I've reported this twice already",
        "Ringing again about the leak, same as last week",
        "Fourth time calling about the boiler, still no heating",
        "Third time I've rung, can I speak to a manager",
    ],
    "not done right": [
        "The leak is back, they only painted over it",
        "Mould has come straight back through the new paint",
        "Boiler's broken down again since they fixed it on Friday",
        "Door still doesn't lock, they fitted the wrong part",
        "They fixed the tap but now the pipe underneath is leaking",
    ],
    "needs explaining": [
        "I got a text saying my job is complete but nobody's been",
        "Had a letter about a pre-inspection, what does that mean?",
        "Why do I need a surveyor to come before you fix a tap?",
        "The letter says \"no access\" but I was in all day",
    ],
    "wrong place": [
        "I want to ask about my rent account",
        "Is this where I complain about the neighbours' noise?",
        "I was told by the council to ring you about a blocked drain in "
        "the street",
        "My housing benefit has stopped, who do I talk to?",
        "I need to report fly-tipping behind the flats",
    ],
}

CHANGE_WORDS = [
    "I can't do Thursday morning, can we move it to the afternoon",
    "I've got a hospital appointment that day, can you rebook it",
    "Can the engineer ring me half an hour before, I work nights",
]

WHAT_MATTERS = {
    "Responsive repairs": ["a date I can plan around",
                           "not having to take another day off work",
                           "getting it fixed properly the first time",
                           "feeling safe at night"],
    "Damp and mould": ["the children's health",
                       "getting the damp sorted before the baby comes",
                       "someone who understands what's causing it",
                       "not having to throw more clothes away"],
    "Gas and heating": ["keeping warm", "hot water for the kids' baths",
                        "someone who knows my history",
                        "my mum's health, she's on oxygen"],
}


class Gen:
    """All randomness goes through one stream of random()."""

    def __init__(self, seed):
        import random
        self.r = random.Random(seed)

    def u(self):
        return self.r.random()

    def chance(self, p):
        return self.u() < p

    def pick(self, seq):
        return seq[int(self.u() * len(seq))]

    def weighted(self, pairs):
        total = sum(w for _, w in pairs)
        x = self.u() * total
        for item, w in pairs:
            if x < w:
                return item
            x -= w
        return pairs[-1][0]

    def count(self, mean, trials=12):
        """A binomial count with the given mean (mean < trials)."""
        p = mean / trials
        return sum(1 for _ in range(trials) if self.u() < p)


def working_time(g, day, first=8, last=18):
    """A time on `day` between first and last o'clock, to the minute."""
    minutes = int(g.u() * (last - first) * 60)
    return day + datetime.timedelta(hours=first, minutes=minutes)


def next_working(t):
    while t.weekday() >= 5:
        t = t + datetime.timedelta(days=1)
    return t


def contact_time(g, after, days_later, channel):
    """A contact about `days_later` days after `after`, in the hours the
    channel is open (phone and walk-in on weekdays only)."""
    day = datetime.datetime(after.year, after.month, after.day)
    day += datetime.timedelta(days=days_later)
    if channel in ("phone", "walk-in"):
        day = next_working(day)
        t = working_time(g, day, 8 if channel == "phone" else 9,
                         18 if channel == "phone" else 16)
    else:
        t = working_time(g, day, 7, 23)
    if t <= after:
        t = after + datetime.timedelta(minutes=5 + int(g.u() * 120))
    return t


def channel_for(g, kind):
    if kind in ("progress-chasing", "repeat", "not done"):
        return g.weighted([("phone", 68), ("web", 8), ("email", 14),
                           ("walk-in", 10)])
    return g.weighted([("phone", 50), ("web", 24), ("email", 14),
                       ("walk-in", 12)])


def in_words(g, text, channel):
    """E-mails sometimes come with a greeting on its own line."""
    if channel == "email" and g.chance(0.3):
        return g.pick(["Hello,", "Hi,", "Dear Sir/Madam,"]) + "\n" + text
    return text


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:00")


def generate(seed, rows):
    g = Gen(seed)
    contacts = []  # dicts; 'case' is a case dict or None
    cases = []
    scale = rows / 400.0

    def add(t, kind, demand, case, service, words, channel, first, hand):
        if t < START or t > END:
            return
        contacts.append({"t": t, "kind": kind, "demand": demand,
                         "case": case, "service": service, "words": words,
                         "channel": channel, "first": first,
                         "handoffs": hand})

    # Three weeks before the log starts, so its first days have the
    # chasing of cases already open, as a real log would.
    for d in range(-BACKLOG, DAYS):
        day = START + datetime.timedelta(days=d)
        weekend = day.weekday() >= 5
        after = day >= CHANGE
        # New repairs: value demand that opens a case.
        n = g.count((1.0 if weekend else 4.9) * scale)
        reports = []
        for _ in range(n):
            channel = g.weighted([("web", 60), ("email", 40)]) if weekend \
                else g.weighted([("phone", 52), ("web", 22), ("email", 12),
                                 ("walk-in", 14)])
            if channel == "walk-in":
                t = working_time(g, day, 9, 16)
            else:
                t = working_time(g, day, 7 if weekend else 8,
                                 22 if weekend else 18)
            reports.append((t, channel))
        for t, channel in sorted(reports):
            service = g.weighted(SERVICES)
            case = {"id": "R-%05d" % (24017 + len(cases)), "opened": t,
                    "service": service, "after": after}
            cases.append(case)
            # How long the repair takes, in days: the new way closes sooner.
            if after:
                dur = g.weighted([(1, 20), (2, 25), (3, 20), (5, 15),
                                  (7, 12), (10, 8)])
            else:
                dur = g.weighted([(3, 10), (6, 18), (9, 20), (13, 20),
                                  (18, 15), (24, 10), (32, 7)])
            if service == "Damp and mould":
                dur = dur * 3 // 2 + 1
            closed = t + datetime.timedelta(days=dur, hours=int(g.u() * 7),
                                            minutes=int(g.u() * 60))
            closed = next_working(closed)
            if not after and closed > CHANGE:
                # The new way works through the backlog as well.
                cleared = CHANGE + datetime.timedelta(
                    days=2 + int(g.u() * 10), hours=9 + int(g.u() * 8),
                    minutes=int(g.u() * 60))
                closed = min(closed, next_working(cleared))
            case["closed"] = closed if closed <= END else None
            first = "Y" if g.chance(0.82 if after else 0.38) else "N"
            hand = 0 if after and g.chance(0.7) else g.weighted(
                [(0, 25), (1, 40), (2, 25), (3, 10)])
            add(t, "report a repair", "value", case, service,
                in_words(g, g.pick(REPORT_WORDS[service]), channel),
                channel, first, hand)
            # Chasing while the case is open: the old way invites it.
            rate = 0.02 if after else 0.11
            open_days = max(1, ((case["closed"] or END) - t).days)
            for _ in range(g.count(rate * open_days, 16)):
                kind = g.weighted([("progress-chasing", 55), ("not done", 25),
                                   ("repeat", 20)])
                later = 1 + int(g.u() * max(1, open_days - 1))
                ch = channel_for(g, kind)
                when = contact_time(g, t, later, ch)
                if case["closed"] and when >= case["closed"]:
                    continue
                # From the change, old cases get a firm date too, and
                # most of the chasing stops.
                if when >= CHANGE and not after and g.chance(0.8):
                    continue
                add(when, kind, "failure", case, service,
                    in_words(g, g.pick(FAILURE_WORDS[kind]), ch), ch,
                    "Y" if g.chance(0.45 if after else 0.25) else "N",
                    g.weighted([(0, 50), (1, 40), (2, 10)]) if after else
                    g.weighted([(0, 15), (1, 35), (2, 30), (3, 15), (4, 5)]))
            # Rebooking at the tenant's request is value demand.
            if g.chance(0.1):
                ch = channel_for(g, "change")
                add(contact_time(g, t, 1 + int(g.u() * 3), ch),
                    "change appointment", "value", case, service,
                    g.pick(CHANGE_WORDS), ch, "Y", 0)
            # Not done right: back after closure.
            if case["closed"] and g.chance(0.07 if after else 0.22):
                ch = channel_for(g, "not done right")
                add(contact_time(g, case["closed"], 1 + int(g.u() * 8), ch),
                    "not done right", "failure", case, service,
                    in_words(g, g.pick(FAILURE_WORDS["not done right"]), ch),
                    ch, "N", g.weighted([(0, 30), (1, 40), (2, 30)]))
        if weekend:
            continue
        # Contacts with no repair behind them.
        for _ in range(g.count((0.5 if after else 1.3) * scale)):
            service = g.weighted(SERVICES)
            ch = channel_for(g, "wrong place")
            add(working_time(g, day), "wrong place", "failure", None, service,
                g.pick(FAILURE_WORDS["wrong place"]), ch, "N",
                g.weighted([(1, 60), (2, 30), (3, 10)]))
        for _ in range(g.count(0.6 * scale)):
            service = g.weighted(SERVICES)
            ch = channel_for(g, "service")
            add(working_time(g, day), "request a service", "value", None,
                service, g.pick(SERVICE_WORDS[service]), ch,
                "Y" if g.chance(0.7) else "N", g.weighted([(0, 70), (1, 30)]))
        open_cases = [c for c in cases if c["opened"] < day and
                      (c["closed"] is None or c["closed"] > day)]
        if open_cases and g.chance(0.15 if after else 0.6):
            case = g.pick(open_cases)
            ch = channel_for(g, "needs explaining")
            add(working_time(g, day), "needs explaining", "failure", case,
                case["service"], g.pick(FAILURE_WORDS["needs explaining"]),
                ch, "Y" if g.chance(0.5) else "N",
                g.weighted([(0, 40), (1, 45), (2, 15)]))

    contacts.sort(key=lambda c: (c["t"], c["case"]["id"] if c["case"]
                                 else "", c["kind"]))
    # Exactly `rows` rows: drop follow-ups at random, or add walk-in
    # questions (half of them for another service).
    if len(contacts) > rows:
        pool = [i for i, c in enumerate(contacts)
                if c["kind"] != "report a repair"]
        if len(pool) < len(contacts) - rows:
            pool = list(range(len(contacts)))
        drop = set()
        while len(drop) < len(contacts) - rows:
            j = int(g.u() * len(pool))
            drop.add(pool[j])
            pool[j] = pool[-1]
            pool.pop()
        contacts = [c for i, c in enumerate(contacts) if i not in drop]
    while len(contacts) < rows:
        d = int(g.u() * DAYS)
        day = START + datetime.timedelta(days=d)
        if day.weekday() >= 5:
            continue
        service = g.weighted(SERVICES)
        if g.chance(0.5):
            kind, demand = "wrong place", "failure"
            words = g.pick(FAILURE_WORDS["wrong place"])
        else:
            kind, demand = "request a service", "value"
            words = g.pick(SERVICE_WORDS[service])
        contacts.append({"t": working_time(g, day, 9, 16), "kind": kind,
                         "demand": demand, "case": None, "service": service,
                         "words": words, "channel": "walk-in",
                         "first": "Y" if demand == "value" else "N",
                         "handoffs": 1})
    contacts.sort(key=lambda c: (c["t"], c["case"]["id"] if c["case"]
                                 else "", c["kind"]))

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HEADER)
    bad = sorted({int(g.u() * rows) for _ in range(2)})
    for n, c in enumerate(contacts):
        case = c["case"]
        coded = g.chance(0.85)
        matters = g.pick(WHAT_MATTERS[c["service"]]) if g.chance(0.7) else ""
        received = stamp(c["t"])
        handoffs = str(c["handoffs"])
        if n == bad[0]:
            received = c["t"].strftime("%d/%m/%Y %H:%M")  # typed by hand
        elif len(bad) > 1 and n == bad[1]:
            handoffs = "two"
        first = c["first"] if g.chance(0.95) else ""  # not recorded
        if g.chance(0.04):
            handoffs = ""
        w.writerow([
            "HR-%04d" % (n + 1), received, c["channel"], c["service"],
            c["words"], c["demand"] if coded else "",
            c["kind"] if coded else "", matters, first, handoffs,
            case["id"] if case else "",
            stamp(case["closed"]) if case and case["closed"] else "",
        ])
    return out.getvalue()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rows", type=int, default=400)
    ap.add_argument("-o", "--output", help="file to write (default stdout)")
    a = ap.parse_args()
    if a.rows < 1 or a.rows > 100000:
        ap.error("--rows takes a number from 1 to 100000")
    text = generate(a.seed, a.rows)
    if a.output:
        with open(a.output, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))


if __name__ == "__main__":
    main()
