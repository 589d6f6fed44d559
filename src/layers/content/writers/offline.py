"""The offline writer: deterministic text from templates per brand voice, filled from the
brief (benefit clauses from the description and tagline, topics from the keyword bank). No
network. Test mode always uses it; live mode uses it when no text model is configured. It
writes English.
"""

from __future__ import annotations

import hashlib
import random
import re

from layers.content.writers.base import HOOK_BREAK, MAX_CAPTION, Brief


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


_HOOKS: dict[str, list[str]] = {
    "authentic": [
        "I didn't expect {topic} to change my week{br}but here's what actually happened",
        "Real talk about {topic}{br}nobody tells you this part",
        "I tried {app} for 30 days{br}this is my honest take",
        "The {topic} mistake I kept making{br}and the fix that finally stuck",
        "What my {topic} looks like now{br}versus a month ago",
    ],
    "witty": [
        "POV: your {topic} finally has a plot{br}and the main character is {app}",
        "Me pretending I have {topic} figured out{br}(I found {app})",
        "{topic} but make it effortless{br}you're welcome",
        "Things that live rent-free in my head{br}{topic} edition",
        "Nobody: {br}me explaining {app} to everyone I meet",
    ],
    "professional": [
        "3 {topic} principles that actually scale{br}save this for later",
        "The data on {topic} is clear{br}here is what works",
        "How high performers approach {topic}{br}a quick framework",
        "Stop losing time on {topic}{br}a better system in 3 steps",
        "{topic}, simplified{br}what {app} gets right",
    ],
    "warm": [
        "A little {topic} ritual for you{br}because you deserve easier mornings",
        "If {topic} has felt heavy lately{br}this one's for you",
        "The small {topic} habit that made my days softer{br}let me show you",
        "For everyone juggling too much{br}here's how {app} helps with {topic}",
        "Your gentle reminder about {topic}{br}you don't have to do it alone",
    ],
    "casual": [
        "ok but why did nobody tell me about {topic}{br}game changer",
        "my {topic} setup rn{br}it's so easy",
        "trying {app} so you don't have to{br}ok I'm obsessed",
        "quick {topic} tip{br}you'll thank me later",
        "the {topic} hack I use every single day{br}here it is",
    ],
    "educational": [
        "Why {topic} matters more than you think{br}a 60-second explainer",
        "3 things to know about {topic}{br}number 2 surprised me",
        "The science behind better {topic}{br}explained simply",
        "{topic} myths, busted{br}what actually works",
        "A beginner's guide to {topic}{br}start here",
    ],
}

_TIE_INS: dict[str, list[str]] = {
    "authentic": ["{app} made this part easy", "that's where {app} comes in", "honestly? {app}"],
    "witty": ["{app} said: leave it to me", "plot twist: {app}", "{app} carried, not gonna lie"],
    "professional": ["{app} handles this step", "automate it with {app}", "{app} does it for you"],
    "warm": ["{app} takes care of this", "let {app} carry this one", "{app} has your back"],
    "casual": ["{app} does this for me", "lowkey thanks to {app}", "{app} = sorted"],
    "educational": ["{app} applies this for you", "this is what {app} is built on", "{app} helps"],
}

_CTAS: dict[str, str] = {
    "authentic": "Try {app} and see for yourself",
    "witty": "Go get {app}. Future you says thanks",
    "professional": "Start with {app} today",
    "warm": "Give {app} a try. You deserve it",
    "casual": "{app}. link in bio",
    "educational": "Learn more with {app}",
}


def _benefits(brief: Brief) -> list[str]:
    """Short benefit clauses taken from the description and tagline."""
    text = " ".join(part for part in (brief.tagline, brief.app_description) if part)
    clauses = []
    for piece in re.split(r"[.!?;—–]|, and |, so ", text):
        clause = piece.strip(" ,-")
        if 12 <= len(clause) <= 90:
            clauses.append(clause[0].upper() + clause[1:])
    return clauses or [f"{brief.name} keeps it simple"]


def _topics(brief: Brief) -> list[str]:
    """Keyword phrases worth talking about: not the brand's own name, not tiny words."""
    app = (brief.app_name or "").lower()
    good = [
        p
        for p in brief.phrases
        if len(p) >= 5 and p.lower() not in app and not (app and app in p.lower())
    ]
    return good or brief.phrases or [(brief.app_name or "your routine").lower()]


def _topic(brief: Brief, rng: random.Random) -> str:
    topics = _topics(brief)
    return rng.choice(topics[: max(1, min(6, len(topics)))])


_REPEATED_WORD = re.compile(r"\b(\w+) \1\b", re.IGNORECASE)


def _fill(template: str, brief: Brief, topic: str, br: str) -> str:
    return _REPEATED_WORD.sub(r"\1", template.format(app=brief.name, topic=topic, br=br))


def _clip(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


class OfflineWriter:
    """Deterministic text from templates per brand voice, filled from the brief."""

    def hooks(self, brief: Brief, count: int, seed: str) -> list[str]:
        rng = _rng("hooks", seed)
        templates = list(_HOOKS.get(brief.brand_voice, _HOOKS["authentic"]))
        topics = _topics(brief)[:8]
        candidates = [_fill(t, brief, topic, HOOK_BREAK) for t in templates for topic in topics]
        rng.shuffle(candidates)
        seen: list[str] = []
        for hook in candidates:
            if hook not in seen:
                seen.append(hook)
            if len(seen) == count:
                break
        return seen

    def adapt_slides(self, brief: Brief, source: list[str], topic: str, seed: str) -> list[str]:
        rng = _rng("adapt", seed)
        count = max(3, len(source))
        voice = brief.brand_voice if brief.brand_voice in _HOOKS else "authentic"
        first = _fill(rng.choice(_HOOKS[voice]), brief, topic or _topic(brief, rng), "\n")
        benefits = _benefits(brief)
        ties = _TIE_INS[voice]
        middle: list[str] = []
        body = source[1:-1] if len(source) >= 3 else source
        for index in range(count - 2):
            original = body[index % len(body)] if body else benefits[index % len(benefits)]
            point = _clip(re.sub(r"^\s*\d+[.)]\s*", "", original), 80)
            tie = _fill(ties[index % len(ties)], brief, topic, "")
            benefit = benefits[index % len(benefits)]
            line = f"{index + 1}. {point}"
            middle.append(f"{line}\n{tie}: {benefit[0].lower() + benefit[1:]}"[:220])
        cta = _fill(_CTAS[voice], brief, topic, "")
        last = f"{cta}\n{brief.tagline}" if brief.tagline else cta
        return [first, *middle, last]

    def build_slides(self, brief: Brief, hook: str, count: int, seed: str) -> list[str]:
        rng = _rng("build", seed)
        voice = brief.brand_voice if brief.brand_voice in _HOOKS else "authentic"
        benefits = _benefits(brief)
        rng.shuffle(benefits)
        ties = _TIE_INS[voice]
        slides = []
        for index in range(max(1, count - 2)):
            benefit = benefits[index % len(benefits)]
            tie = _fill(ties[index % len(ties)], brief, _topic(brief, rng), "")
            slides.append(f"{index + 1}. {_clip(benefit, 90)}\n{tie}")
        cta = _fill(_CTAS[voice], brief, "", "")
        slides.append(f"{cta}\n{brief.tagline}" if brief.tagline else cta)
        return slides

    def caption(self, brief: Brief, hook: str, seed: str) -> str:
        rng = _rng("caption", seed)
        opener = hook.replace(HOOK_BREAK, " — ").replace("\n", " — ")
        benefit = rng.choice(_benefits(brief))
        closer = _fill(_CTAS.get(brief.brand_voice, _CTAS["authentic"]), brief, "", "")
        return _clip(f"{opener}. {benefit}. {closer}.", MAX_CAPTION).replace("..", ".")
