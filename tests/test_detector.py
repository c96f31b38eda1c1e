"""The technology detector: its rules on hand-written cases, and its measured quality on labelled MO texts.

Eight labelled sets live in tests/data, each written by a different author who saw neither the
detector nor the other sets, each committed before its first run:

- ``mo_labelled_dev.csv`` (203): written first, used to tune the lexicon;
- ``mo_labelled_test.csv`` (347): written before tuning and frozen; measured once (precision
  0.842, recall 0.911), then used to tune as well;
- ``mo_labelled_holdout.csv`` (328): written after that tuning; measured once (0.850, 0.928),
  then used to tune too;
- ``mo_labelled_final.csv`` (343): written after that; measured once (0.790, 0.925), then used
  to tune;
- ``mo_labelled_fresh.csv`` (321): written after that; measured once (0.868, 0.926), then used to
  tune;
- ``mo_labelled_blind.csv`` (330): written blind (its author saw neither the detector, its
  lexicon nor the other sets); first measured at 0.877 / 0.938, and at 0.871 / 0.931 once
  over-broad background rules were narrowed after a review; then used to tune;
- ``mo_labelled_unseen.csv`` (344): written blind the same way and committed before its first
  run; measured once (0.864, 0.935), then used to tune (a device named alone no longer counts);
- ``mo_labelled_blind2.csv`` (342): written blind while that tuning was done, committed before its
  first run and never used to tune; first measured at 0.927 / 0.982 (the detector before the
  last round: 0.888 / 0.988). Its figures are the honest estimate of quality on unseen text.

The measured figures are printed at the end of the test run (see conftest.py).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from stalking_profile.errors import ConfigError
from stalking_profile.online.detector import detect, detect_many
from stalking_profile.online.lexicon import load_lexicon, parse_lexicon

DATA = Path(__file__).parent / "data"
#: Figures every set must keep. The tuned sets are held near their tuned values, so a change that
#: breaks them fails; the untouched blind set is held at its first measurement.
FLOORS = {"dev": (0.97, 0.97), "test": (0.97, 0.97), "holdout": (0.94, 0.97), "final": (0.94, 0.97),
          "fresh": (0.97, 0.95), "blind": (0.90, 0.93), "unseen": (0.93, 0.93), "blind2": (0.92, 0.98)}
QUALITY: dict[str, tuple[int, float, float]] = {}


def _measure(name: str) -> tuple[int, float, float]:
    with (DATA / f"mo_labelled_{name}.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    found = detect_many([r["text"] for r in rows])["detected"].to_pylist()
    truth = [r["tech"] == "1" for r in rows]
    tp = sum(f and t for f, t in zip(found, truth, strict=True))
    fp = sum(f and not t for f, t in zip(found, truth, strict=True))
    fn = sum(t and not f for f, t in zip(found, truth, strict=True))
    return len(rows), tp / (tp + fp), tp / (tp + fn)


@pytest.mark.parametrize("name", list(FLOORS))
def test_detector_quality_on_labelled_sets(name: str) -> None:
    size, precision, recall = _measure(name)
    QUALITY[name] = (size, precision, recall)
    assert size >= 200
    low_p, low_r = FLOORS[name]
    assert precision >= low_p and recall >= low_r, (name, precision, recall)


def test_labelled_sets_are_large_and_have_hard_negatives() -> None:
    for name in ("test", "holdout", "final", "fresh", "blind", "unseen", "blind2"):
        with (DATA / f"mo_labelled_{name}.csv").open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) >= 300
        hard = [r for r in rows if r["tech"] == "0" and r["category"] != "physical_only"]
        assert len(hard) >= 130
        assert {"negation", "victim_tech", "post_letters_gifts"} <= {r["category"] for r in hard}


@pytest.mark.parametrize(("text", "terms"), [
    ("Suspect has sent her 40 txts and keeps ringing her from a withheld number.",
     ("txts", "ringing her", "withheld number")),
    ("Ex set up a fake Instagram account after she blocked him on facebok.", ("fake instagram account",)),
    ("GPS tracker found under her car.", ("gps", "tracker")),
    ("No texts but he has rung her 40 times.", ("rung",)),
    ("He installed mSpy on her phone.", ("mspy", "phone")),
])
def test_technology_is_found_with_the_matched_terms(text: str, terms: tuple[str, ...]) -> None:
    found = detect(text)
    assert found.detected
    assert set(terms) <= set(found.terms), found.terms


@pytest.mark.parametrize("text", [
    "No social media contact reported. Suspect follows her home.",
    "There has been no contact by phone, text or social media.",
    "Victim recorded the incident on her phone.",
    "Victim called 999 from her mobile when he turned up.",
    "OIC emailed the victim an update on his bail.",
    "He called her names in the street and rang the doorbell repeatedly.",
    "Suspect smashed her phone during the argument.",
    "Suspect left letters and flowers on her doorstep.",
    "Cards sent by post to her workplace.",
    "Suspect snapped her wing mirror off.",
    "They met on Tinder years ago; now he waits outside her house.",
    "",
    None,
])
def test_hard_negatives_are_not_detected(text: str | None) -> None:
    assert not detect(text).detected, detect(text).terms


@pytest.mark.parametrize("text", [
    "Since his caution for harassment he has texted her every day.",
    "Despite his conviction for stalking he emailed her again.",
    "The suspected offender was messaging her daily.",
    "IP suspected that he had been reading her emails.",
    "He put his own AirTag in her handbag.",
    "He advertised her online as an escort.",
    "SUSP contacted IP on Instagram following the breakup.",
    "He insists her phone is checked every evening.",
    "He has been using his work laptop to contact her.",
    "He returned her DVDs and emailed her.",
    "Suspect and his solicitor emailed her repeatedly.",
    "He demanded an update over the phone every hour.",
    "He demanded an update by text every hour.",
])
def test_background_rules_do_not_swallow_the_suspects_use(text: str) -> None:
    """The rules that drop background mentions (an earlier conviction, a follower count, a device
    check that found nothing, someone's job) stop short of the suspect's own use in the same text."""
    assert detect(text).detected, text


@pytest.mark.parametrize("text", [
    "SUSP has a 2018 conviction for malicious texts to a former partner (not this VIC). Current matter: "
    "sitting in his car outside VIC's house.",
    "VIC matched with SUSP on Tinder a year ago, they went on 2 dates and she ended it. He now waits at her allotment.",
    "VIC's son's Xbox checked, no contact from SUSP found. SUSP seen outside son's school at home time.",
    "He left dead flowers in her mailbox.",
    "She uses Strava for her runs.",
    "SUSP has a large TikTok following but has never mentioned VIC online. He follows her around town.",
])
def test_background_mentions_are_not_detected(text: str) -> None:
    assert not detect(text).detected, detect(text).terms


@pytest.mark.parametrize(("text", "detected"), [
    ("Susp arrested, mobile phone seized.", False),
    ("Suspect was on his phone while he followed her along the canal.", False),
    ("A neighbour filmed him on her phone climbing the fence.", False),
    ("Susp's laptop and two phones seized under s.32 PACE.", False),
    ("He played on his PlayStation at home, he says.", False),
    ("He keeps ringing the kids' mobiles to find out where she is.", True),
    ("He hid an old mobile with location switched on in the boot of her car.", True),
    ("He installed an app on her phone that sent him her location.", True),
    ("He joins her PlayStation party chats under new gamertags.", True),
    ("He has been filming her on his phone.", True),
    ("He photographed her on his phone at the gym.", True),
    ("He recorded her on his mobile without consent.", True),
    ("He hid a mobile phone in her car.", True),
    ("He has been accessing her laptop.", True),
    ("Suspect contacted victim via her mobile.", True),
    ("He bought a new phone and SIM card to contact her.", True),
    ("He contacted her through Xbox Live.", True),
    ("Her phone is checked by him every night.", True),
    ("He keeps harassing her by phone.", True),
    ("Victim spoke to officers over the phone.", False),
    ("OIC spoke to the victim by phone.", False),
    ("Victim reported the matter to police by phone.", False),
    ("Her phone was checked at the station and no spyware was found.", False),
    ("Her housemate keeps sending her messages.", True),
])
def test_a_device_named_alone_does_not_count(text: str, detected: bool) -> None:
    """``devices_alone``: a device on its own says one exists, not that the suspect offended with it;
    beside any other term (a call, an app, a tracker, a chat) it still counts."""
    assert detect(text).detected is detected, detect(text)


def test_devices_alone_is_optional_in_a_users_lexicon() -> None:
    shipped = (Path(__file__).parents[1] / "stalking_profile" / "data" / "technology.toml").read_text("utf-8")
    without = shipped[:shipped.index("devices_alone = [")]
    lexicon = parse_lexicon(without, "mine.toml")
    assert lexicon.devices_alone is None and detect("Susp arrested, mobile phone seized.", lexicon).detected
    assert not detect("He turns up at her home every day.", lexicon).detected
    assert not detect("No texts or calls from him.", lexicon).detected


def test_word_boundaries_and_case() -> None:
    assert not detect("The texture of the fence was damaged.").detected
    assert detect("SUSPECT SENT WHATSAPP MESSAGES").detected
    assert detect("suspect sent whats app msgs").terms[:1] == ("whats app",)


def test_detect_many_examines_each_text_once_and_keeps_order() -> None:
    texts = ["He texted her.", None, "He texted her.", "He followed her."]
    table = detect_many(texts)
    assert table["detected"].to_pylist() == [True, False, True, False]
    assert table["terms"].to_pylist()[0] == "texted"
    assert table["categories"].to_pylist()[0] == "calls and texts"


def test_a_lexicon_with_a_bad_term_is_one_clear_error() -> None:
    text = '[[category]]\nname = "x"\nterms = ["(unclosed"]\n[context]\n'
    with pytest.raises(ConfigError, match=r"term '\(unclosed' is not a valid pattern"):
        parse_lexicon(text, "mine.toml")
    with pytest.raises(ConfigError, match="no \\[\\[category\\]\\]"):
        parse_lexicon("[context]\n", "mine.toml")


def test_a_users_lexicon_replaces_the_shipped_one(tmp_path: Path) -> None:
    shipped = (Path(__file__).parents[1] / "stalking_profile" / "data" / "technology.toml").read_text("utf-8")
    mine = tmp_path / "lexicon.toml"
    mine.write_text(shipped.replace('"pinterest",', '"pinterest", "carrier pigeon",'), "utf-8")
    assert not detect("He sent a carrier pigeon.").detected
    assert detect("He sent a carrier pigeon.", load_lexicon(str(mine))).detected


def _plain(terms: list[str]) -> re.Pattern[str]:
    """The lexicon's patterns as first written: one alternation of the terms, longest first,
    tried whole at every place. The faster patterns must find exactly what these find."""
    from stalking_profile.online.lexicon import _alternation

    return re.compile(rf"(?<![\w/])(?<!\w')(?:{_alternation(terms)})(?![\w/]|'\w)", re.IGNORECASE)


def _labelled_pieces() -> list[str]:
    texts = [r["text"] for name in FLOORS for r in csv.DictReader((DATA / f"mo_labelled_{name}.csv").open(
        encoding="utf-8", newline=""))]
    return texts + [w for t in texts for w in t.split()]


def test_the_quick_first_test_finds_what_the_plain_alternation_finds() -> None:
    """``any_term`` groups the terms by first letter for speed; on every labelled text, and on every
    word of them, it finds a term exactly where one alternation of all the terms does."""
    lexicon = load_lexicon()
    plain = _plain([t for c in lexicon.categories for t in _terms_of(c.name)])
    pieces = _labelled_pieces()
    assert len(pieces) > 20_000
    assert [lexicon.any_term.search(p) is None for p in pieces] == [plain.search(p) is None for p in pieces]


def test_every_pattern_finds_the_matches_of_its_plain_alternation() -> None:
    """Each category's and each context rule's pattern sends a word start to the terms that can
    begin with its letter; on every labelled text and word it finds the same matches, with the
    same extent, as the alternation tried whole (which term wins at a place depends on the order)."""
    import tomllib

    shipped = tomllib.loads((Path(__file__).parents[1] / "stalking_profile/data/technology.toml").read_text("utf-8"))
    lexicon = load_lexicon()
    compiled = {c.name: c.pattern for c in lexicon.categories}
    written = {c["name"]: c["terms"] for c in shipped["category"]}
    keys = {"negation_cues": "negation", "negation_after": "negation_after", "scope_breakers": "scope_breaker",
            "other_actors": "other_actor", "own_use_verbs": "own_use", "not_technology": "not_technology",
            "damage_verbs": "damage", "devices_alone": "devices_alone"}
    for key, field in keys.items():
        compiled[key], written[key] = getattr(lexicon, field), shipped["context"][key]
    pieces = _labelled_pieces()
    for name, pattern in compiled.items():
        plain = _plain(written[name])
        assert [[m.span() for m in pattern.finditer(p)] for p in pieces] == \
            [[m.span() for m in plain.finditer(p)] for p in pieces], name
    # where the order decides: the longer term wins, whichever letter each begins with
    fast = load_lexicon().categories[0].pattern
    assert [m.group(0) for m in fast.finditer("see fb.com and her insta story")] == ["fb.com", "insta story"]


@pytest.mark.parametrize(("terms", "text"), [
    (["(?:x|a b)|a"], "a b"),  # a "|" outside the opening group: not split there
    (["(?:x|a b)c|a"], "a bc"),
    (["(?:[]|]x|y)z"], "zxz :xz ]xz"),  # "]" first in a class is itself, not its end
    ([r"[a](b)\1", "c"], "abb"),  # a group referred back to is not copied
    (["(?:a|b)(?P<n>c)", "d"], "bc d"),
    (["(?:insta|fb) stor(?:y|ies)", r"\w+\.com", "fb", "insta"], "fb.com insta stories, fb"),
])
def test_a_users_terms_match_as_the_plain_alternation_does(terms: list[str], text: str) -> None:
    from stalking_profile.online.lexicon import _any_term, _bounded

    assert [m.span() for m in _bounded(terms).finditer(text)] == [m.span() for m in _plain(terms).finditer(text)]
    assert (_any_term(terms).search(text) is None) == (_plain(terms).search(text) is None)


def test_terms_that_name_the_same_group_are_one_clear_error() -> None:
    shipped = (Path(__file__).parents[1] / "stalking_profile" / "data" / "technology.toml").read_text("utf-8")
    bad = shipped.replace('"pinterest",', '"(?P<site>pinterest)", "(?P<site>nextdoor)",')
    with pytest.raises(ConfigError, match="not a valid pattern together"):
        parse_lexicon(bad, "mine.toml")


def _terms_of(category: str) -> list[str]:
    import tomllib

    shipped = tomllib.loads((Path(__file__).parents[1] / "stalking_profile/data/technology.toml").read_text("utf-8"))
    return next(c["terms"] for c in shipped["category"] if c["name"] == category)
