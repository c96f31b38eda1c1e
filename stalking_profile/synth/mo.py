"""Free-text MO for synthetic crimes: templates with slot filling, British spelling.

Each MO is up to three sentences: the relationship (often), what the suspect did, and
sometimes a closing remark. Technology appears in about 30% of stalking MOs although only
10% are cyber-flagged. Hard cases for a technology audit are deliberate: negated mentions
("No social media contact reported.") and technology used by the *victim* ("Victim recorded
the incident on her phone.") in MOs that involve no technology-enabled offending.

Texts are drawn from small pools generated once per call, so building a million MOs is a
vectorised lookup and join, not a per-row loop.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from stalking_profile.schema.columns import RELATIONSHIPS
from stalking_profile.synth.arrays import join, lookup

__all__ = ["BODY_SETS", "NEGATED_TECH", "VICTIM_TECH", "build_mo"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_RELATIVES = {True: ("brother", "son", "father", "cousin", "uncle"), False: ("sister", "daughter", "mother")}

_SLOTS: dict[str, tuple[str, ...]] = {
    "n": tuple(str(i) for i in (2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 40, 50)),
    "years": ("two", "three", "four", "five", "seven", "ten", "twelve"),
    "ago": ("two weeks", "a month", "three months", "six months", "a year", "eighteen months"),
    "period": ("the last two weeks", "the past month", "the last three months", "several weeks",
               "the past six months", "the last ten days", "a number of months"),
    "channel": ("text message", "WhatsApp", "Facebook Messenger", "Snapchat", "Instagram", "email"),
    "social": ("Facebook", "Instagram", "Snapchat", "TikTok", "Twitter"),
    "account": ("Facebook", "Instagram", "email", "iCloud", "Snapchat", "online banking"),
    "content": ("begging {vo} to get back together", "calling {vo} names and threatening to come round",
                "accusing {vo} of seeing someone else", "demanding to know where {v} is",
                "asking to meet up", "making threats towards {vp} new partner",
                "telling {vo} that {s} is watching {vo}"),
    "place": ("home address", "workplace", "gym", "mother's address", "children's school", "place of work",
              "new address"),
    "when": ("most evenings", "early in the morning", "late at night", "at weekends",
             "when {v} finishes work"),
    "where": ("home from work", "around the supermarket", "into town", "to the bus stop",
              "from the school gates", "to {vp} car"),
    "gift": ("flowers", "cards", "chocolates", "jewellery", "a teddy bear", "perfume"),
    "property": ("car", "front door", "garden fence", "wing mirrors", "car tyres", "front window"),
    "freq": ("several times a day", "every evening", "most nights", "repeatedly", "at all hours"),
    "topic": ("parking", "the children", "money owed", "a noise complaint", "a boundary fence",
              "a previous relationship", "a falling out at work"),
    "threat": ("that {s} would burn the house down", "that {v} would regret it", "to smash {vp} windows",
               "to share private photographs of {vo}", "to hurt {vp} family"),
    "injury": ("a cut lip", "bruising to {vp} arm", "a swollen eye", "scratches to {vp} neck",
               "a bloody nose", "bruising to {vp} face"),
    "object": ("a brick", "a hammer", "a metal bar", "{sp} fist", "a bottle"),
    "blow": ("pushed", "slapped", "grabbed", "shoved", "spat at", "kicked"),
}  # fmt: skip

#: Template sets by (set, technology used).
BODY_SETS: dict[tuple[str, bool], tuple[str, ...]] = {
    ("stalking", True): (
        "Suspect has sent the victim {n} messages via {channel} over {period}, {content}.",
        "Suspect has repeatedly called the victim from withheld numbers, up to {n} times a day, "
        "and left abusive voicemails.",
        "Suspect has set up fake {social} profiles to contact the victim after being blocked.",
        "Victim believes the suspect fitted a GPS tracker to {vp} car as {s} turns up wherever {v} goes.",
        "Suspect installed a tracking app on the victim's phone and has been monitoring {vp} location.",
        "Suspect has been emailing the victim's workplace and posting comments about {vo} on {social}.",
        "Suspect continues to message the victim on {channel} despite being told to stop, {content}.",
        "Suspect has logged into the victim's {account} account without permission and changed the password.",
        "Suspect keeps sending the victim friend requests from new {social} accounts "
        "and messages {vp} friends.",
        "Suspect has threatened via {channel} {threat}.",
    ),
    ("stalking", False): (
        "Suspect has repeatedly turned up at the victim's {place} and waited outside {when}.",
        "Suspect has been seen loitering near the victim's home address on {n} occasions over {period}.",
        "Suspect has followed the victim {where} and refuses to leave {vo} alone.",
        "Suspect has left letters and unwanted gifts ({gift}) on the victim's doorstep.",
        "Suspect has damaged the victim's {property} and sat outside the address in {sp} car.",
        "Suspect has been driving past the victim's address {freq} "
        "and knocking on the windows late at night.",
        "Suspect has approached the victim's friends and family asking where {v} is living.",
        "Suspect has been watching the victim's house from across the road and went through {vp} bins.",
        "Suspect waits for the victim outside the school gates and follows {vo} {where}.",
        "Suspect has turned up at the victim's {place} {n} times in {period} "
        "despite being told to stay away.",
    ),
    ("harassment", True): (
        "Suspect has sent the victim abusive messages via {channel} after an argument about {topic}.",
        "Suspect has posted comments about the victim on {social} and shared {vp} address.",
        "Suspect keeps phoning the victim {freq} about {topic}.",
        "Suspect breached a restraining order by contacting the victim via {channel}.",
    ),
    ("harassment", False): (
        "Ongoing dispute over {topic}: suspect has been shouting abuse at the victim in the street.",
        "Suspect has been knocking on the victim's door {freq} about {topic}.",
        "Suspect breached a restraining order by attending the victim's {place}.",
        "Suspect has put notes through the victim's letterbox about {topic}.",
        "Suspect has been banging on the shared wall and shouting at the victim {when}.",
    ),
    ("racial", True): (
        "Suspect has sent the victim racially abusive messages via {channel} about {topic}.",
        "Suspect has posted racist comments about the victim and {vp} family on {social}.",
    ),
    ("racial", False): (
        "Suspect has made racist remarks to the victim in the street on {n} occasions over {period}.",
        "Suspect has shouted racial abuse at the victim over the garden fence {freq}.",
    ),
    ("comms", True): (
        "Suspect sent the victim a threatening message via {channel} saying {threat}.",
        "Suspect posted offensive comments about the victim on {social}.",
        "Suspect sent the victim a voice note threatening {threat}.",
        "Suspect shared a private photograph of the victim on {social} without consent.",
        "Suspect sent {n} grossly offensive messages to the victim via {channel}.",
    ),
    ("comms", False): (
        "Suspect posted a threatening letter through the victim's door saying {threat}.",
        "Suspect left an offensive note on the victim's car windscreen.",
    ),
    ("ccb", True): (
        "Suspect checks the victim's phone every day and tracks {vo} using location sharing.",
        "Suspect demands that the victim sends photographs to prove where {v} is.",
        "Suspect controls the victim's {account} account and reads {vp} messages.",
    ),
    ("ccb", False): (
        "Suspect controls the victim's finances and checks {vp} bank statements.",
        "Suspect stops the victim from seeing {vp} friends and family.",
        "Suspect tells the victim what to wear and when {v} can leave the house.",
        "Suspect has taken the victim's bank card and gives {vo} an allowance.",
    ),
    ("assault", True): (
        "Suspect {blow} the victim after reading messages on {vp} phone.",
        "Suspect {blow} the victim during an argument about {vp} {social} account.",
    ),
    ("assault", False): (
        "Suspect {blow} the victim during an argument at the home address.",
        "Suspect {blow} the victim in the kitchen after drinking.",
        "Suspect {blow} the victim outside the address in front of the children.",
        "Suspect {blow} the victim and pulled {vp} hair during an argument about {topic}.",
    ),
    ("injury", True): (
        "Suspect punched the victim after checking {vp} phone, causing {injury}.",
    ),
    ("injury", False): (
        "Suspect punched the victim causing {injury}.",
        "Suspect assaulted the victim with {object} causing {injury}.",
        "Suspect headbutted the victim during an argument causing {injury}.",
        "Suspect pushed the victim to the floor causing {injury}.",
    ),
    ("damage", True): (
        "Suspect smashed the victim's windows after threatening on {social} to do so.",
        "Suspect found the victim's car using a tracking app and slashed the tyres.",
    ),
    ("damage", False): (
        "Suspect smashed the victim's front window with {object}.",
        "Suspect kicked the victim's front door causing damage to the frame.",
        "Suspect scratched the victim's car with a key and slashed the tyres.",
        "Suspect damaged the victim's {property} with {object}.",
    ),
}  # fmt: skip
_SET_OF_CODE = {"8Q": "stalking", "8L": "harassment", "8M": "racial", "8R": "comms", "8U": "ccb",
                "105A": "assault", "8N": "injury", "58A": "damage", "58C": "damage"}  # fmt: skip
_SETS = tuple(dict.fromkeys(name for name, _ in BODY_SETS))

#: Negated technology mentions, for MOs with no technology.
NEGATED_TECH: tuple[str, ...] = (
    "No social media contact reported.",
    "There has been no contact by phone, text or social media.",
    "Victim confirms no messages or calls have been received.",
    "Not believed to involve any online contact.",
    "Suspect does not have {vp} mobile number and has not contacted {vo} online.",
)
#: Technology used by the victim, not the suspect.
VICTIM_TECH: tuple[str, ...] = (
    "Victim recorded the incident on {vp} phone.",
    "Victim has photographs of the suspect outside {vp} address on {vp} mobile.",
    "Victim's doorbell camera captured the suspect at the door.",
    "Victim called 999 from {vp} mobile.",
    "Victim has kept a diary of incidents on {vp} phone.",
)
_CLOSING: tuple[str, ...] = (
    "Victim is frightened and has changed {vp} routine.",
    "Victim states {v} is scared to leave the house.",
    "Victim has moved in with family for the time being.",
    "Victim wants police to speak to the suspect.",
    "Victim does not wish to make a statement at this time.",
    "Victim is in fear of what the suspect will do next.",
)
_RELATION: dict[str, tuple[str, ...]] = {
    "current_partner": ("Victim and suspect are in a relationship and live together.", "Current partner.",
                        "Suspect is the victim's {partner}."),
    "former_partner": ("Victim and suspect were in a relationship for {years} years which ended {ago} ago.",
                       "Ex-partner.",
                       "Relationship ended recently and the suspect will not accept it is over.",
                       "Suspect is the victim's ex-{partner}."),
    "family": ("Suspect is the victim's {relative}.", "Family member."),
    "acquaintance": ("Suspect is a former work colleague of the victim.", "Suspect is a neighbour.",
                     "Victim and suspect met through friends.",
                     "Suspect is a customer at the victim's workplace."),
    "stranger": ("Suspect is not known to the victim.",
                 "Suspect is unknown to the victim but has been seen in the area."),
    "unknown": ("Suspect not identified.", "Identity of the offender is not known."),
}  # fmt: skip


def _words(victim_female: bool, suspect_male: bool) -> dict[str, str]:
    return {
        "v": "she" if victim_female else "he",
        "vo": "her" if victim_female else "him",
        "vp": "her" if victim_female else "his",
        "s": "he" if suspect_male else "she",
        "sp": "his" if suspect_male else "her",
        "partner": "boyfriend" if suspect_male else "girlfriend",
    }


def _fill(template: str, victim_female: bool, suspect_male: bool, rng: np.random.Generator) -> str:
    words = _words(victim_female, suspect_male)
    relatives = _RELATIVES[suspect_male]
    words["relative"] = relatives[int(rng.integers(len(relatives)))]
    slots = {k: v[int(rng.integers(len(v)))] for k, v in _SLOTS.items() if "{" + k + "}" in template}
    # Slot values may hold pronouns themselves, so fill the slots first, then the pronouns.
    return template.format_map({**words, **slots}).format_map(words)


def _pools(templates: tuple[str, ...], size: int, rng: np.random.Generator) -> list[list[str]]:
    """``size`` filled texts for each (victim female, suspect male) combination, in that order."""
    pools = []
    for victim_female in (False, True):
        for suspect_male in (False, True):
            picks = rng.integers(len(templates), size=size)
            pools.append([_fill(templates[int(i)], victim_female, suspect_male, rng) for i in picks])
    return pools


def _draw(
    pools: list[list[str]], which: IntArray, rng: np.random.Generator, keep: BoolArray | None = None
) -> pa.Array[Any]:
    """One text per row from pool ``which[row]`` (a vectorised lookup); null where not ``keep``."""
    size = len(pools[0])
    index = which * size + rng.integers(size, size=which.size)
    return lookup([t for p in pools for t in p], index, keep)


def build_mo(
    codes: tuple[str, ...],
    code: IntArray,
    category: IntArray,
    relationship: IntArray,
    victim_female: BoolArray,
    suspect_male: BoolArray,
    rng: np.random.Generator,
) -> pa.Array[Any]:
    """MO text per crime from its offence, MO category, relationship and the two people's sexes.

    ``category`` is 0 or 1 for technology (flagged or not), 2 for none, 3 for none with a
    negated technology mention and 4 for none with technology used by the victim.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> one = np.zeros(1, dtype=np.int64)
    >>> text = build_mo(("8Q",), one, one + 3, one, np.ones(1, bool), np.ones(1, bool), rng)[0].as_py()
    >>> text.startswith("Suspect") or text.startswith("Victim") or text.startswith("Current")
    True
    """
    sex = victim_female.astype(np.int64) * 2 + suspect_male.astype(np.int64)
    keys = [(name, tech) for name in _SETS for tech in (False, True)]
    body_pools = [p for key in keys for p in _pools(BODY_SETS[key], 120, rng)]
    set_index = np.asarray([_SETS.index(_SET_OF_CODE.get(c, "harassment")) for c in codes], dtype=np.int64)
    uses_tech = (category <= 1).astype(np.int64)
    body = _draw(body_pools, (set_index[code] * 2 + uses_tech) * 4 + sex, rng)
    prefix_pools = [p for r in RELATIONSHIPS for p in _pools(_RELATION[r], 40, rng)]
    prefix = _draw(prefix_pools, relationship * 4 + sex, rng, rng.random(code.size) < 0.7)
    suffix_pools = [p for t in (NEGATED_TECH, VICTIM_TECH, _CLOSING) for p in _pools(t, 40, rng)]
    kind = np.select([category == 3, category == 4], [0, 1], 2)
    keep = (kind < 2) | (rng.random(code.size) < 0.45)
    suffix = _draw(suffix_pools, kind * 4 + sex, rng, keep)
    return join(prefix, body, suffix, skip_nulls=True)
