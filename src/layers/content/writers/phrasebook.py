"""The offline writer's phrasebook: hooks, line shapes, tie-ins, calls to action and caption
endings, per brand voice. ``{app}`` is the brand, ``{topic}`` a keyword-bank topic, ``{p}``
a point of the brief mid-sentence and ``{P}`` the same point opening a sentence, ``{n}`` a
count, ``{br}`` the break between a hook's setup and payoff.

Nothing here claims anything about a product: the claims come from the brief.
"""

from __future__ import annotations

VOICES = ("authentic", "witty", "professional", "warm", "casual", "educational")

# Topics are noun phrases of any number ("weekly allowance", "night-shift workers"): every
# template uses them where any noun phrase reads right (attributively, or after a colon).
HOOKS: dict[str, list[str]] = {
    "authentic": [
        "The {topic} story I didn't expect to tell{br}but here's what actually happened",
        "Real talk: {topic}{br}nobody tells you this part",
        "I tried {app} for 30 days{br}this is my honest take",
        "The {topic} mistake I kept making{br}and the fix that finally stuck",
        "My {topic} routine now{br}versus a month ago",
    ],
    "witty": [
        "POV: you finally cracked the {topic} thing{br}and the main character is {app}",
        "Me pretending my {topic} game is strong{br}(I found {app})",
        "{topic} but make it effortless{br}you're welcome",
        "Things that live rent-free in my head{br}{topic} edition",
        "Nobody:{br}me explaining {app} to everyone I meet",
    ],
    "professional": [
        "3 {topic} principles that actually scale{br}save this for later",
        "{topic}: what the data says{br}here is what works",
        "The {topic} playbook high performers use{br}a quick framework",
        "Stop losing time to {topic} admin{br}a better system in 3 steps",
        "{topic}, simplified{br}what {app} gets right",
    ],
    "warm": [
        "A little {topic} ritual for you{br}because you deserve easier days",
        "For anyone finding the {topic} part hard lately{br}this one's for you",
        "The small {topic} habit that made my days softer{br}let me show you",
        "For everyone juggling too much{br}here's where {app} comes in",
        "Your gentle {topic} reminder{br}you don't have to do it alone",
    ],
    "casual": [
        "ok but why did nobody tell me this {topic} trick{br}game changer",
        "my {topic} setup rn{br}it's so easy",
        "trying {app} so you don't have to{br}ok I'm obsessed",
        "quick {topic} tip{br}you'll thank me later",
        "the {topic} hack I use every single day{br}here it is",
    ],
    "educational": [
        "{topic}: the case for taking it seriously{br}a 60-second explainer",
        "3 {topic} facts worth knowing{br}number 2 surprised me",
        "The science of a better {topic} routine{br}explained simply",
        "{topic} myths, busted{br}what actually works",
        "The beginner's {topic} guide{br}start here",
    ],
}

# Hooks of a list (a remix of a numbered source): {n} is the number of points that follow.
LIST_HOOKS: list[str] = [
    "{n} things {app} gets right: {topic} edition",
    "{n} reasons my {topic} routine got easier",
    "{n} {topic} upgrades I swear by",
    "{topic}: {n} things I wish I knew sooner",
    "My {topic} routine in {n} steps",
]

# One point of the brief, as a line. Short shapes first: a short rhythm takes the first
# shape that fits, a long one may take any.
CLAIM_SHAPES: list[str] = [
    "{P}.",
    "What you get: {p}.",
    "Here's the thing: {p}.",
    "The part I love? {P}.",
    "Why it works: {p}.",
    "Small detail, big difference: {p}.",
    "Honestly? {P}.",
]
BENEFIT_SHAPES: list[str] = [
    "{P}.",
    "The result? {P}.",
    "Which means {p}.",
    "And the best part: {p}.",
    "End result: {p}.",
    "That's how {p}.",
]
TAGLINE_SHAPES: list[str] = [
    "{P}.",
    "{app} in one line: {p}.",
    "The promise: {p}.",
]
# Lines about a topic (no product claim): when the brief has fewer points than slides.
TOPIC_SHAPES: list[str] = [
    "Save this if {topic} is your thing.",
    "This one's for the {topic} people.",
    "Calling all {topic} people: keep going.",
    "More {topic} ideas below.",
]

# Last resort when the brief and the topics are spent: lines that claim nothing.
FILLERS: list[str] = [
    "Stay with me.",
    "Worth a save.",
    "You'll see why.",
    "Almost there.",
    "Keep going.",
    "Here's the rest.",
]

# A second, shorter line under a point: the brand tying in.
TIES: dict[str, list[str]] = {
    "authentic": [
        "{app} made this part easy.",
        "That's where {app} comes in.",
        "Honestly? {app}.",
        "{app} does this for me now.",
        "This is why I stuck with {app}.",
    ],
    "witty": [
        "{app} said: leave it to me.",
        "Plot twist: {app}.",
        "{app} carried, not gonna lie.",
        "Main character energy: {app}.",
        "{app} understood the assignment.",
    ],
    "professional": [
        "{app} handles this step.",
        "Automate it with {app}.",
        "{app} does it for you.",
        "One less thing to manage.",
        "Built into {app}.",
    ],
    "warm": [
        "{app} takes care of this.",
        "Let {app} carry this one.",
        "{app} has your back.",
        "One less thing on your mind.",
        "{app} makes room for you.",
    ],
    "casual": [
        "{app} does this for me.",
        "Lowkey thanks to {app}.",
        "{app} = sorted.",
        "Zero effort, honestly.",
        "{app} just gets it.",
    ],
    "educational": [
        "{app} applies this for you.",
        "This is what {app} is built on.",
        "{app} helps here.",
        "Key takeaway: keep it simple.",
        "{app} puts this into practice.",
    ],
}

CTAS: dict[str, list[str]] = {
    "authentic": ["Try {app} and see for yourself.", "{app} is in my bio. Go look.",
                  "Give {app} a week."],
    "witty": ["Go get {app}. Future you says thanks.", "{app}. You know what to do.",
              "Download {app} before your group chat does."],
    "professional": ["Start with {app} today.", "See how {app} fits your workflow.",
                     "Try {app} this week."],
    "warm": ["Give {app} a try. You deserve it.", "Let {app} take this off your plate.",
             "Try {app} this week. Be kind to yourself."],
    "casual": ["{app}. Link in bio.", "Go try {app} rn.", "{app} is the move."],
    "educational": ["Learn more with {app}.", "Put it into practice with {app}.",
                    "Start learning with {app} today."],
}  # fmt: skip

# How a caption opens (before its points).
CAPTION_OPENERS: list[str] = [
    "A quick one for the {topic} crowd.",
    "Everything {topic}, in one post.",
    "Filed under: {topic}.",
    "Today's topic: {topic}.",
    "{topic}, the {app} way.",
    "On the menu today: {topic}.",
]

# How a caption ends. Rotated through a project's posts (`CaptionContext.position`), so no
# two captions within a run of this many end the same way.
CAPTION_ENDINGS: list[str] = [
    "Save this for later.",
    "Send this to someone who needs it.",
    "Which one are you trying first?",
    "Follow for more like this.",
    "Tell us in the comments what you'd add.",
    "{app} is linked in our bio.",
    "Bookmark this one.",
    "Tag a friend who would love this.",
    "Your turn: what's your take?",
    "Share this with your {topic} friend.",
    "Questions? Ask away in the comments.",
    "Try {app} and tell us how it goes.",
]
