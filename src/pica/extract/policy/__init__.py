"""Privacy-policy extraction: HTML (any charset), PDF, plain text or an http(s) URL ->
``pica.evidence.PolicyEvidence`` (sentences as ``PolicyStatement`` plus a ``PolicyProfile``).

    from pica.extract.policy import extract, extract_text
    ev = extract("policy.html")            # or bytes, or "https://…"
    ev.profile.readability.body_font_px
"""

from __future__ import annotations

import os

from pica.errors import InputError
from pica.evidence import PolicyEvidence, PolicyStatement, Span
from pica.evidence.policy import PolicyProfile
from pica.extract.policy.document import Document
from pica.extract.policy.html import parse_html
from pica.extract.policy.lexicon import lexicon, pi_matcher, searchers
from pica.extract.policy.load import DEFAULT_MAX_BYTES, decode_bytes, read_source, sniff_kind
from pica.extract.policy.mentions import mentions, pi_table
from pica.extract.policy.pdf import parse_pdf
from pica.extract.policy.profile import ProfileAccumulator, build_profile
from pica.extract.policy.statements import analyse_with
from pica.extract.policy.structure import build, text_blocks

__all__ = ["extract", "extract_text", "PolicyProfile", "InputError", "DEFAULT_MAX_BYTES"]

MAX_TEXT_CHARS = 10_000_000


def extract(
    source: str | os.PathLike[str] | bytes,
    *,
    name: str | None = None,
    max_bytes: int | None = None,
    timeout: float | None = None,
) -> PolicyEvidence:
    """Read a policy from a file path, raw bytes or an http(s) URL. Raises ``InputError``."""
    raw = read_source(source, name=name, max_bytes=max_bytes, timeout=timeout)
    kind = sniff_kind(raw)
    if kind == "pdf":
        doc = parse_pdf(raw.data)
    else:
        text = decode_bytes(raw.data, content_type=raw.content_type, html=kind == "html")
        doc = parse_html(text) if kind == "html" else Document(blocks=text_blocks(_bounded(text)))
    return _evidence(doc, raw.name, raw.location)


def extract_text(text: str, *, name: str, html: bool | None = None) -> PolicyEvidence:
    """A policy the APK embeds as a string (plain text, or HTML if it looks like HTML)."""
    text = _bounded(text)
    if html is None:
        head = text[:2000].lower()
        html = "<html" in head or "<body" in head or "<p>" in head or "<div" in head
    doc = parse_html(text) if html else Document(blocks=text_blocks(text))
    return _evidence(doc, name, name)


def _bounded(text: str) -> str:
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"policy text has {len(text)} characters, over the {MAX_TEXT_CHARS} limit")
    return text.replace("\x00", "")


def analyse_document(doc: Document, name: str, *, segment_words: bool = True):
    """(structure, facts, profile) for a parsed document; exposed for tests and benchmarks."""
    lex = lexicon()
    st = build(doc)
    # One pass: each sentence's prefilter (lexicon.searchers) serves both the statement and the
    # profile's per-sentence part; the PI terms of all sentences are found at once.
    acc = ProfileAccumulator(lex)
    facts = []
    spans = [(s.start, s.end) for s in st.sentences]
    terms = pi_matcher().find_many([s.text for s in st.sentences])
    for s, has, found in zip(st.sentences, searchers(st.text, spans), terms, strict=True):
        f = analyse_with(s.text, lex, has, found)
        acc.add(s, f, has)
        facts.append(f)
    profile = build_profile(name, doc, st, facts, lex, segment_words=segment_words, acc=acc)
    return st, facts, profile


def _evidence(doc: Document, name: str, location: str) -> PolicyEvidence:
    st, facts, profile = analyse_document(doc, name)
    texts = [s.text for s in st.sentences]
    sections = [s.section for s in st.sentences]
    if profile.readability.script == "english":
        # the trained model reads Chinese only: English topics come from reviewed patterns
        from pica.extract.policy.topics_en import classify_english

        topics = classify_english(texts, sections)
    else:
        from pica.extract.policy.topics import classify  # loads the model on first use

        topics = classify(texts, sections, [""] + texts[:-1])
    has_purpose = [bool(f.purposes) or "purpose" in f.labels for f in facts]
    said = mentions(texts, sections, [f.pi_types for f in facts], topics, has_purpose)
    statements = tuple(
        PolicyStatement(
            text=s.text,
            span=Span(s.start, s.end),
            section=s.section,
            pi_types=f.pi_types,
            actions=f.actions,
            purposes=f.purposes,
            receivers=f.receivers,
            conditions=f.conditions,
            source=f"{name}: chars {s.start}-{s.end}",
            topics=tops,
            collected=m.collected,
            not_collected=m.not_collected,
            lead_in=m.lead_in,
            purpose_from=m.purpose_from,
            purpose_at=m.purpose_at,
        )
        for s, f, tops, m in zip(st.sentences, facts, topics, said, strict=True)
    )
    return PolicyEvidence(
        location=location,
        text=st.text,
        statements=statements,
        profile=profile,
        pi_table=pi_table(statements, profile),
    )
