"""Joins: facts derived by combining an input's facts with each other or with the knowledge base.

Takes facts, returns facts (``pica.evidence``); never opens an input and never judges an item.
``sdks`` detects SDKs and attributes call sites to them, ``reachability`` walks the call graph
from the entry points that run before any UI, ``apk`` runs both for one APK. The coming joins
(policy versus behaviour, consent phases, identifier matching) live here too.
"""
