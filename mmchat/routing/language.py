"""The natural language of a prompt's prose, guessed from its script and its commonest words.

Returns an ISO 639-1 code, or 'und' (undetermined) when there is too little to go on.
"""

from __future__ import annotations

import re

_SCRIPT_CHARS = 600

# Frequent short words that mostly belong to one language (shared ones left out).
_STOPWORDS: dict[str, str] = {
    "en": "the and is are was were you your what how why which this that with from have has "
          "would could should can does did not it's i'm don't there their they we our please",
    "de": "der die das und ist nicht ich ein eine mit auf für wie warum was ist sind wir ihr "
          "sie auch oder aber bitte kann können wird mein dein dem den des zum zur über",
    "fr": "le la les et est une des pas je tu vous nous avec pour dans qui que quoi pourquoi "
          "comment sont c'est ce cette mais ou du au aux s'il plaît peux",
    "es": "el los las y es una por para con qué cómo por qué está son pero muy también puedes "
          "del al como esto esta hay mi tu su",
    "it": "il lo gli e è una per con che cosa come perché sono ma anche non della del questo "
          "questa mi puoi grazie",
    "pt": "o os as e é um uma para com que não como porquê são mas também isso está você "
          "do da dos das meu por favor",
    "nl": "het een en is niet ik je jij wij met voor wat hoe waarom zijn maar ook dat dit "
          "kun kunt van op",
    "pl": "w na nie się jest to że jak co dlaczego czy jestem być mnie ale oraz proszę",
    "sv": "och är en ett att det som inte jag du vi med för hur varför vad men också kan",
}
_WORD_LANGS: dict[str, tuple[str, ...]] = {}
for _lang, _words in _STOPWORDS.items():
    for _w in _words.split():
        _WORD_LANGS[_w] = (*_WORD_LANGS.get(_w, ()), _lang)

_STOPWORD_SET = frozenset(_WORD_LANGS)

# Scripts that name one language (or nearly): (first, last code point, language).
_SCRIPTS = (
    (0x3040, 0x30FF, "ja"),  # hiragana, katakana
    (0xAC00, 0xD7AF, "ko"),  # hangul syllables
    (0x4E00, 0x9FFF, "zh"),  # CJK ideographs (Japanese text also has kana: checked first)
    (0x0400, 0x04FF, "ru"),  # Cyrillic
    (0x0600, 0x06FF, "ar"),
    (0x0590, 0x05FF, "he"),
    (0x0370, 0x03FF, "el"),
    (0x0900, 0x097F, "hi"),
    (0x0E00, 0x0E7F, "th"),
)
_UKRAINIAN = frozenset("іїєґ")
_NON_LATIN = re.compile(r"[^\W\d_\u0000-\u036f]")


def detect_language(prose: str, words: frozenset[str]) -> str:
    """`words`: the prose's words in lower case (mmchat.routing.markers.Words.set)."""
    if not prose.isascii():
        script = _script_language(prose[:_SCRIPT_CHARS])
        if script is not None:
            return script
    votes: dict[str, int] = {}
    for word in words & _STOPWORD_SET:  # each stopword counts once
        for lang in _WORD_LANGS[word]:
            votes[lang] = votes.get(lang, 0) + 1
    if not votes:
        return "und"
    return min(votes, key=lambda lang: (-votes[lang], lang != "en", lang))


def _script_language(sample: str) -> str | None:
    """The language a non-Latin script names, when its letters make up at least a third of all letters."""
    letters = sum(1 for ch in sample if ch.isalpha())
    counts: dict[str, int] = {}
    for ch in _NON_LATIN.findall(sample):
        cp = ord(ch)
        for first, last, lang in _SCRIPTS:
            if first <= cp <= last:
                counts[lang] = counts.get(lang, 0) + 1
                break
    if not counts:
        return None
    if counts.get("ja"):  # kana among ideographs: Japanese
        counts["ja"] += counts.pop("zh", 0)
    lang, n = max(counts.items(), key=lambda kv: kv[1])
    if n * 3 < letters:
        return None
    if lang == "ru" and any(ch in _UKRAINIAN for ch in sample.lower()):
        return "uk"
    return lang
