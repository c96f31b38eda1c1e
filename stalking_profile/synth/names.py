"""Small built-in name lists for synthetic nominals (never real people), by heritage and sex."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from stalking_profile.synth.arrays import join, lookup

__all__ = ["NAME_GROUPS", "NAME_GROUP_OF", "VARIANTS", "full_names", "make_names"]

#: 18+1 ethnicity code -> name list used for the person.
NAME_GROUP_OF: Final = {
    "W1": "british", "W2": "british", "W9": "european", "M1": "british", "M2": "british",
    "M3": "british", "M9": "british", "A1": "indian", "A2": "pakistani", "A3": "pakistani",
    "A9": "pakistani", "A4": "chinese", "B1": "caribbean", "B2": "african", "B9": "african",
    "O2": "arab", "O9": "arab",
}  # fmt: skip
#: Name lists, in the order used by :func:`make_names`.
NAME_GROUPS: Final = ("british", "european", "indian", "pakistani", "chinese", "caribbean", "african", "arab")
_GROUPS = NAME_GROUPS

_FIRST: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    # (female, male)
    "british": (
        ("Sarah", "Emma", "Laura", "Amy", "Rebecca", "Jessica", "Hannah", "Chloe", "Sophie", "Charlotte",
         "Gemma", "Nicola", "Kirsty", "Danielle", "Stacey", "Leanne", "Katherine", "Zoe", "Megan", "Lucy",
         "Jade", "Natalie", "Claire", "Joanne", "Paige", "Holly", "Bethany", "Lauren", "Susan", "Karen"),
        ("James", "Daniel", "Michael", "David", "Mark", "Paul", "Lee", "Ryan", "Liam", "Craig", "Jamie",
         "Thomas", "Matthew", "Adam", "Jordan", "Callum", "Dean", "Wayne", "Stephen", "Andrew", "Christopher",
         "Kieran", "Connor", "Jack", "Gary", "Darren", "Scott", "Nathan", "Robert", "Anthony"),
    ),
    "european": (
        ("Anna", "Katarzyna", "Agnieszka", "Ioana", "Maria", "Elena", "Monika", "Simona", "Kristina", "Ewa"),
        ("Piotr", "Tomasz", "Marek", "Andrei", "Ionut", "Lukas", "Pavel", "Mihai", "Krzysztof", "Jakub"),
    ),
    "indian": (
        ("Priya", "Sonia", "Anjali", "Kiran", "Manpreet", "Harpreet", "Neha", "Pooja", "Simran", "Jasmin"),
        ("Rajesh", "Sandeep", "Amit", "Vikram", "Gurpreet", "Jaspal", "Ravi", "Sunil", "Harjit", "Arjun"),
    ),
    "pakistani": (
        ("Aisha", "Fatima", "Sana", "Amina", "Zainab", "Nadia", "Saima", "Rubina", "Shazia", "Hina",
         "Maryam", "Sadia", "Nazia", "Farah", "Iqra"),
        ("Mohammed", "Muhammad", "Imran", "Adeel", "Asif", "Kamran", "Usman", "Ali", "Tariq", "Zahid",
         "Bilal", "Faisal", "Shahid", "Waqas", "Amir"),
    ),
    "chinese": (("Mei", "Li", "Xiu", "Ying", "Hui"), ("Wei", "Jun", "Hao", "Ming", "Chen")),
    "caribbean": (
        ("Shanice", "Tanisha", "Keisha", "Marcia", "Simone", "Jasmine", "Chantelle", "Nadine"),
        ("Tyrone", "Marcus", "Delroy", "Jermaine", "Leon", "Carl", "Andre", "Winston"),
    ),
    "african": (
        ("Grace", "Blessing", "Chiamaka", "Amara", "Ngozi", "Precious", "Esther", "Fatou"),
        ("Emmanuel", "Samuel", "Kwame", "Chinedu", "Tendai", "Oluwaseun", "Joseph", "Ibrahim"),
    ),
    "arab": (
        ("Layla", "Noor", "Yasmin", "Rania", "Huda", "Salma"),
        ("Ahmed", "Omar", "Yusuf", "Khalid", "Hassan", "Karim"),
    ),
}  # fmt: skip
_LAST: Final[dict[str, tuple[str, ...]]] = {
    "british": (
        "Smith", "Jones", "Taylor", "Brown", "Wilson", "Walker", "Wood", "Robinson", "Thompson", "Wright",
        "White", "Hall", "Green", "Clarke", "Jackson", "Hill", "Shaw", "Holmes", "Lee", "Harrison",
        "Turner", "Hughes", "Moore", "Roberts", "Baker", "Atkinson", "Sutcliffe", "Ackroyd", "Haigh",
        "Firth", "Barraclough", "Greenwood", "Holroyd", "Booth", "Kaye", "Wainwright", "Priestley",
    ),
    "european": ("Nowak", "Kowalski", "Wisniewski", "Popescu", "Ionescu", "Horvath", "Novak", "Kazlauskas"),
    "indian": ("Patel", "Singh", "Kaur", "Sharma", "Mistry", "Sandhu", "Gill", "Bains", "Dhillon"),
    "pakistani": (
        "Khan", "Hussain", "Ahmed", "Ali", "Iqbal", "Akhtar", "Mahmood", "Shah", "Begum", "Bibi",
        "Rashid", "Aslam", "Butt", "Malik", "Anwar", "Riaz", "Qureshi", "Javed",
    ),
    "chinese": ("Wang", "Li", "Zhang", "Chen", "Liu", "Wong"),
    "caribbean": ("Campbell", "Williams", "Brown", "Thomas", "Clarke", "Francis", "Grant", "Morgan"),
    "african": ("Okafor", "Mensah", "Adeyemi", "Osei", "Moyo", "Nwosu", "Diallo", "Abdi"),
    "arab": ("Hassan", "Ibrahim", "Mansour", "Saleh", "Haddad", "Nasser"),
}  # fmt: skip

#: Alternative spellings seen for the same person across duplicate RMS records.
VARIANTS: Final = {
    "Mohammed": "Muhammad", "Muhammad": "Mohammed", "Katherine": "Catherine", "Stephen": "Steven",
    "Aisha": "Ayesha", "Zoe": "Zoey", "Jamie": "Jaime", "Sarah": "Sara", "Leanne": "Lianne",
    "Hussain": "Hussein", "Ahmed": "Ahmad", "Clarke": "Clark", "Mahmood": "Mahmud",
}  # fmt: skip


Span = tuple[int, int]


def _vocabulary() -> tuple[tuple[str, ...], dict[tuple[str, int], Span], dict[str, Span]]:
    """All names in one tuple, with the (offset, length) of each forename and surname list."""
    words: list[str] = []
    first: dict[tuple[str, int], Span] = {}
    last: dict[str, Span] = {}
    for group in _GROUPS:
        for sex in (0, 1):
            first[group, sex] = (len(words), len(_FIRST[group][sex]))
            words.extend(_FIRST[group][sex])
        last[group] = (len(words), len(_LAST[group]))
        words.extend(_LAST[group])
    return tuple(words), first, last


_WORDS, _FIRST_AT, _LAST_AT = _vocabulary()


def make_names(
    group: npt.NDArray[np.int64], female: npt.NDArray[np.bool_], rng: np.random.Generator
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Forename and surname of each person, as positions in the name vocabulary.

    ``group`` is the position in :data:`NAME_GROUPS` of each person's name list.

    Examples
    --------
    >>> first, last = make_names(np.array([3]), np.array([True]), np.random.default_rng(0))
    >>> full_names(first, last).to_pylist()[0].split()[1] in _LAST["pakistani"]
    True
    """
    first = np.zeros(group.size, dtype=np.int64)
    last = np.zeros(group.size, dtype=np.int64)
    u = rng.random((2, group.size))
    for g, name in enumerate(_GROUPS):
        in_group = group == g
        for sex in (0, 1):
            rows = in_group & (female == (sex == 0))
            offset, size = _FIRST_AT[name, sex]
            first[rows] = offset + np.floor(u[0, rows] * size).astype(np.int64)
        offset, size = _LAST_AT[name]
        last[in_group] = offset + np.floor(u[1, in_group] * size).astype(np.int64)
    return first, last


def full_names(
    first: npt.NDArray[np.int64], last: npt.NDArray[np.int64], variant: bool = False
) -> pa.Array[Any]:
    """``"Forename Surname"`` per person (vectorised); ``variant`` uses the alternative spellings.

    Examples
    --------
    >>> at = _WORDS.index("Mohammed"), _WORDS.index("Hussain")
    >>> full_names(np.array([at[0]]), np.array([at[1]]), variant=True).to_pylist()
    ['Muhammad Hussein']
    """
    words = [VARIANTS.get(w, w) for w in _WORDS] if variant else list(_WORDS)
    vocabulary = pa.array(words, pa.string())
    return join(lookup(vocabulary, first), lookup(vocabulary, last))
