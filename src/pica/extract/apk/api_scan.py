"""Find every call site (or field read) of a sensitive framework API in the app's DEX code.

The sensitive API table is data (knowledge/data/sensitive_apis.yaml). Content-resolver calls are
judged by the content URIs the same method loads, because ``ContentResolver.query`` on its own
says nothing about which personal information it reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from pica import knowledge
from pica.evidence import ApiUse
from pica.extract.apk.dex import (
    CONST_STRING,
    CONST_STRING_JUMBO,
    INVOKE_OPS,
    SGET_OPS,
    SPUT_OPS,
    DexFile,
    Ref,
    descriptor_to_java,
    java_to_descriptor,
)

STRING_OPS = frozenset({CONST_STRING, CONST_STRING_JUMBO})


class ApiTable:
    """The sensitive-API table arranged for lookup by DEX descriptors."""

    def __init__(self) -> None:
        self.methods: dict[tuple[str, str], tuple[str, ...]] = defaultdict(tuple)
        self.fields: dict[tuple[str, str], tuple[str, ...]] = defaultdict(tuple)
        self.uris: dict[str, tuple[str, ...]] = {}
        self.requires_string: dict[tuple[str, str], str] = {}
        for api in knowledge.sensitive_apis():
            if api.kind == "method" and api.requires_string:
                key = (java_to_descriptor(api.class_name), api.member)
                self.requires_string[key] = api.requires_string
            if api.kind == "method":
                key = (java_to_descriptor(api.class_name), api.member)
                self.methods[key] = tuple(dict.fromkeys(self.methods[key] + api.pi_types))
            elif api.kind == "field":
                key = (java_to_descriptor(api.class_name), api.member)
                self.fields[key] = tuple(dict.fromkeys(self.fields[key] + api.pi_types))
            elif api.kind == "uri":
                self.uris[api.member] = api.pi_types
        self.resolvers = {
            (java_to_descriptor(r.class_name), r.member) for r in knowledge.resolver_methods()
        }

    def wanted_methods(self) -> dict[str, set[str]]:
        wanted: dict[str, set[str]] = defaultdict(set)
        for descriptor, name in [*self.methods, *self.resolvers]:
            wanted[descriptor].add(name)
        return wanted

    def wanted_fields(self) -> dict[str, set[str]]:
        wanted: dict[str, set[str]] = defaultdict(set)
        for descriptor, name in self.fields:
            wanted[descriptor].add(name)
        return wanted

    def uri_pi(self, value: str) -> tuple[str, ...]:
        """PI types of a content URI string, by the longest matching prefix."""
        best = ""
        for prefix in self.uris:
            if value.startswith(prefix) and len(prefix) > len(best):
                best = prefix
        return self.uris.get(best, ())


def _api_name(descriptor: str, member: str) -> str:
    return f"{descriptor_to_java(descriptor)}.{member}"


def _uri_strings(dex: DexFile, table: ApiTable) -> dict[int, str]:
    """Content-URI string constants of this dex: {string id: value}."""
    if not table.uris:
        return {}
    return dex.string_indexes_with_prefix(p.encode() for p in table.uris)


def uri_fields(
    dex: DexFile, table: ApiTable, uri_strings: dict[int, str]
) -> dict[tuple[str, str], tuple[str, ...]]:
    """App static fields set from a content URI string: {(class, field): PI}.

    Catches ``static final Uri INBOX = Uri.parse("content://sms/inbox")`` read elsewhere.
    """
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for method in dex.find_refs({STRING_OPS: set(uri_strings)}):
        pending: tuple[str, ...] = ()
        for ref in dex.refs(method):
            if ref.opcode in STRING_OPS:
                pending = table.uri_pi(uri_strings[ref.index]) if ref.index in uri_strings else ()
            elif ref.opcode in SPUT_OPS and pending:
                key = (dex.field_class(ref.index), dex.field_name(ref.index))
                found[key] = tuple(dict.fromkeys(found.get(key, ()) + pending))
                pending = ()
    return found


def scan_dex(
    dex: DexFile,
    table: ApiTable,
    uri_strings: dict[int, str],
    app_uri_fields: dict[tuple[str, str], tuple[str, ...]],
    also: dict[str, set[str]] | None = None,
    found: dict[int, list[Ref]] | None = None,
) -> list[ApiUse]:
    """All sensitive call sites and field reads in one DEX file. ``also``: more invoked
    methods ({class descriptor: names}) whose call sites the same pass collects into
    ``found`` ({method: [Ref]}), for the readers of reflection and loaded code."""
    methods = dex.method_indexes(table.wanted_methods())
    more = dex.method_indexes(also) if also else {}
    fields = dex.field_indexes(table.wanted_fields())
    wanted_app_fields: dict[str, set[str]] = defaultdict(set)
    for descriptor, name in app_uri_fields:
        wanted_app_fields[descriptor].add(name)
    app_fields = dex.field_indexes(wanted_app_fields)
    hits = dex.find_refs(
        {
            INVOKE_OPS: set(methods) | set(more),
            SGET_OPS: set(fields) | set(app_fields),
            STRING_OPS: set(uri_strings),
        }
    )
    uses: list[ApiUse] = []
    for method_idx, all_refs in hits.items():
        if more:
            mine = [r for r in all_refs if r.opcode in INVOKE_OPS and r.index in more]
            if mine and found is not None:
                found[method_idx] = mine
            refs = [r for r in all_refs if not (r.opcode in INVOKE_OPS and r.index not in methods)]
            if not refs:
                continue
        else:
            refs = all_refs
        caller_class = descriptor_to_java(dex.method_class(method_idx))
        caller_sig = dex.method_signature(method_idx)
        where = f"{dex.name} {dex.method_class(method_idx)}->{caller_sig}"
        # PI named by the content URIs this method loads (fields like Sms.CONTENT_URI, or strings).
        uri_pi: list[tuple[str, str]] = []
        for ref in refs:
            if ref.opcode in SGET_OPS and ref.index in fields:
                descriptor, name = fields[ref.index]
                uri_pi += [
                    (pi, _api_name(descriptor, name)) for pi in table.fields[(descriptor, name)]
                ]
            elif ref.opcode in SGET_OPS and ref.index in app_fields:
                key = app_fields[ref.index]
                uri_pi += [(pi, _api_name(*key)) for pi in app_uri_fields[key]]
            elif ref.opcode in STRING_OPS and ref.index in uri_strings:
                uri_pi += [
                    (pi, uri_strings[ref.index]) for pi in table.uri_pi(uri_strings[ref.index])
                ]

        constants = {dex.string(r.index) for r in dex.refs(method_idx) if r.opcode in STRING_OPS}

        def use(
            pi: str,
            api: str,
            offset: int,
            caller_class: str = caller_class,
            caller_sig: str = caller_sig,
            where: str = where,
        ) -> ApiUse:
            return ApiUse(
                pi_type=pi,
                api=api,
                caller_class=caller_class,
                caller_method=caller_sig,
                dex=dex.name,
                offset=offset,
                source=f"{where} @0x{offset:x}",
            )

        for ref in refs:
            if ref.opcode in INVOKE_OPS and ref.index in methods:
                descriptor, name = methods[ref.index]
                key = (descriptor, name)
                api = _api_name(descriptor, name)
                if key in table.resolvers:
                    for pi in dict.fromkeys(pi for pi, _via in uri_pi):
                        uses.append(use(pi, api, ref.offset))
                needed = table.requires_string.get(key)
                if needed is not None and needed not in constants:
                    continue
                for pi in table.methods.get(key, ()):
                    uses.append(use(pi, api, ref.offset))
            elif ref.opcode in SGET_OPS and ref.index in fields:
                descriptor, name = fields[ref.index]
                for pi in table.fields[(descriptor, name)]:
                    uses.append(use(pi, _api_name(descriptor, name), ref.offset))
            elif ref.opcode in STRING_OPS and ref.index in uri_strings:
                value = uri_strings[ref.index]
                for pi in table.uri_pi(value):
                    uses.append(use(pi, f'"{value}"', ref.offset))
    return uses


def scan_sensitive_apis(
    dexes: Sequence[DexFile],
    also: dict[str, set[str]] | None = None,
    found: dict[str, dict[int, list[Ref]]] | None = None,
) -> list[ApiUse]:
    """Sensitive API uses across all DEX files, deduplicated, in a stable order. ``also`` /
    ``found``: see ``scan_dex`` (``found`` keyed by DEX name)."""
    table = ApiTable()
    app_uri_fields: dict[tuple[str, str], tuple[str, ...]] = {}
    uri_strings = {dex.name: _uri_strings(dex, table) for dex in dexes}
    for dex in dexes:
        app_uri_fields.update(uri_fields(dex, table, uri_strings[dex.name]))
    seen: dict[tuple[str, str, str, int], ApiUse] = {}
    for dex in dexes:
        mine: dict[int, list[Ref]] = {}
        if found is not None:
            found[dex.name] = mine
        for use in scan_dex(dex, table, uri_strings[dex.name], app_uri_fields, also, mine):
            seen.setdefault((use.pi_type, use.api, use.dex, use.offset), use)
    return sorted(seen.values(), key=lambda u: (u.pi_type, u.caller_class, u.api, u.dex, u.offset))
