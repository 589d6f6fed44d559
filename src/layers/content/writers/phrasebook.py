"""The offline writer's phrasebook: hooks, line shapes, tie-ins, calls to action and caption
endings, per brand voice. ``{app}`` is the brand, ``{topic}`` a topic of the brief (a noun
phrase, in the form it takes before another noun), ``{p}`` a point of the brief mid-sentence
and ``{P}`` the same point opening a sentence, ``{n}`` a count, ``{br}`` the break between a
hook's setup and payoff.

Nothing here claims anything about a product: the claims come from the brief.
"""

from __future__ import annotations

VOICES = ("authentic", "witty", "professional", "warm", "casual", "educational")

# ``{topic}`` is a noun phrase in the form it takes before another noun ("houseplant",
# "weekly allowance", "night-shift worker": `grammar.attributive`), so every template puts it
# there ("the {topic} crowd", "my {topic} routine") or where a noun used that way reads right
# ("{topic} edition"): a singular count noun never stands alone where it would need "a".
HOOKS: dict[str, list[str]] = {
    "authentic": [
        "The {topic} story I didn't expect to tell{br}but here's what actually happened",
        "Real {topic} talk{br}nobody tells you this part",
        "I tried {app} for 30 days{br}this is my honest take",
        "The {topic} mistake I kept making{br}and the fix that finally stuck",
        "My {topic} routine now{br}versus a month ago",
    ],
    "witty": [
        "POV: you finally cracked the {topic} thing{br}and the main character is {app}",
        "Me pretending my {topic} game is strong{br}(I found {app})",
        "{topic} life, but make it effortless{br}you're welcome",
        "Things that live rent-free in my head{br}{topic} edition",
        "Nobody:{br}me explaining {app} to everyone I meet",
    ],
    "professional": [
        "3 {topic} principles that actually scale{br}save this for later",
        "The {topic} basics, done properly{br}here is what works",
        "The {topic} playbook high performers use{br}a quick framework",
        "Stop losing time to {topic} admin{br}a better system, step by step",
        "{topic} admin, simplified{br}what {app} gets right",
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
        "{topic} basics, explained{br}in under a minute",
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
    "{n} {topic} things I wish I knew sooner",
    "My {topic} routine in {n} steps",
]

# One point of the brief, as a line, and the forms of point it reads right with
# (`grammar.form`): "What you get:" wants a noun phrase ("What you get: single-origin beans
# from named farms"), "Why it works:" a clause with its subject ("Why it works: care plans
# follow the season"), "With {app}, you can" an imperative ("…you can set a weekly
# allowance"). The plain statement first: a short rhythm takes the first shape that fits.
NP, CLAUSE, IMPERATIVE, PARTICIPLE, PREDICATE, IDENTITY = (
    "np", "clause", "imperative", "participle", "predicate", "identity"
)  # fmt: skip
ANY_FORM = frozenset({NP, CLAUSE, IMPERATIVE, PARTICIPLE})
Shape = tuple[str, frozenset[str]]
CLAIM_SHAPES: list[Shape] = [
    ("{P}.", ANY_FORM),
    ("What you get: {p}.", frozenset({NP})),
    ("Here's the thing: {p}.", frozenset({CLAUSE})),
    ("The part I love? {P}.", frozenset({NP, CLAUSE})),
    ("Why it works: {p}.", frozenset({CLAUSE})),
    ("Small detail, big difference: {p}.", frozenset({NP, CLAUSE})),
    ("Honestly? {P}.", frozenset({NP, CLAUSE, PARTICIPLE})),
    ("With {app}, you can {p}.", frozenset({IMPERATIVE})),
    ("Try this: {p}.", frozenset({IMPERATIVE})),
    # A predicate ("measures the light…") gets its subject back: the brand, or "it" once the
    # container has named the brand (`IT_SHAPES`).
    # What the product is ("a budgeting app for students…"): said of the product.
    ("{app} is {p}.", frozenset({IDENTITY})),
    ("Meet {app}: {p}.", frozenset({IDENTITY})),
    ("{app} {p}.", frozenset({PREDICATE})),
    ("It even {p}.", frozenset({PREDICATE})),
    ("Bonus: it {p}.", frozenset({PREDICATE})),
    ("The part I love? It {p}.", frozenset({PREDICATE})),
    ("Honestly? {app} {p}.", frozenset({PREDICATE})),
]
# Shapes that follow on from the claim before them: not after a hook, an opener or a
# benefit ("You never run out. Which means the bag never goes stale." is no consequence).
CONNECTIVES = frozenset(
    {"The result? {P}.", "Which means {p}.", "And the best part: {p}.", "End result: {p}.",
     "That's how {p}.", "It even {p}.", "Bonus: it {p}."}
)  # fmt: skip
IT_SHAPES = frozenset(shape for shape, _ in CLAIM_SHAPES if " it " in f" {shape.lower()} ")
BENEFIT_SHAPES: list[Shape] = [
    ("{P}.", ANY_FORM),
    ("The result? {P}.", ANY_FORM),
    ("Which means {p}.", ANY_FORM),
    ("And the best part: {p}.", ANY_FORM),
    ("End result: {p}.", ANY_FORM),
    ("That's how {p}.", ANY_FORM),
]
TAGLINE_SHAPES: list[Shape] = [
    ("{P}.", ANY_FORM),
    ("{app} in one line: {p}.", ANY_FORM),
    ("The promise: {p}.", ANY_FORM),
]
# Lines about a topic (no product claim): when the brief has fewer points than slides.
TOPIC_SHAPES: list[str] = [
    "A little {topic} inspiration for your week.",
    "This one's for the {topic} people.",
    "Calling all {topic} people: keep going.",
    "Your {topic} era starts now.",
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

# A second, shorter line under a point: the brand tying in. Only under a point that does
# not name the brand already, and at most `MAX_TIES` in a container: more reads as filler.
TIES: dict[str, list[str]] = {
    "authentic": [
        "{app} made this part easy.",
        "That's where {app} comes in.",
        "{app} does this for me now.",
        "This is why I stuck with {app}.",
        "I didn't expect to love this part.",
        "Small thing, but I noticed.",
    ],
    "witty": [
        "{app} said: leave it to me.",
        "Plot twist: {app}.",
        "{app} carried, not gonna lie.",
        "Main character energy: {app}.",
        "{app} understood the assignment.",
        "Yes, really.",
    ],
    "professional": [
        "{app} handles this step.",
        "Automate it with {app}.",
        "One less thing to manage.",
        "Built into {app}.",
        "Simple, repeatable, done.",
        "Worth building into the routine.",
    ],
    "warm": [
        "{app} takes care of this.",
        "Let {app} carry this one.",
        "{app} has your back.",
        "One less thing on your mind.",
        "A little easier, every day.",
        "That's one less worry.",
    ],
    "casual": [
        "{app} does this for me.",
        "Lowkey thanks to {app}.",
        "Zero effort, honestly.",
        "{app} just gets it.",
        "Love that for me.",
        "Not me finally being organised.",
    ],
    "educational": [
        "{app} applies this for you.",
        "This is what {app} is built on.",
        "Key takeaway: keep it simple.",
        "{app} puts this into practice.",
        "Worth remembering.",
        "Small steps add up.",
    ],
}
MAX_TIES = 2
# The forms of point a tie-in follows: something done ("Set a weekly allowance." / "Zero
# effort, honestly."), not a thing named ("A budgeting app for students." / "Penny Pal does
# this for me.").
TIE_FORMS = frozenset({"clause", "imperative", "predicate"})

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

# How a caption opens (before its points): each a sentence a person would write.
CAPTION_OPENERS: list[str] = [
    "A quick one for the {topic} crowd.",
    "Sharing a little {topic} inspiration today.",
    "This one's for anyone who loves a good {topic} tip.",
    "Our favourite kind of {topic} post: the useful kind.",
    "New week, new {topic} ideas.",
    "Calling all {topic} fans.",
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
