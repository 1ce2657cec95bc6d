"""Facts read from an APK: identity, manifest, call sites, strings, bundled policies, SDKs.

Every fact carries a ``source`` a reader can find again (file + offset, class + method).
"""

from __future__ import annotations

from dataclasses import dataclass

from pica.evidence.network import Party


@dataclass(frozen=True)
class SigningCert:
    """The certificate an APK was signed with: the evidence the APK carries of its publisher.

    ``subject`` and ``issuer`` map the X.509 attribute short names (CN, O, OU, L, ST, C, E)
    to their values; ``debug`` marks a subject that names no developer (knowledge
    ``signing_certs.yaml``)."""

    scheme: str  # v1 (JAR signature) | v2 | v3 (APK Signing Block)
    subject: dict[str, str]
    issuer: dict[str, str]
    serial: str  # lower-case hex
    not_before: str  # ISO 8601, UTC
    not_after: str
    sha256: str  # of the certificate's DER, lower-case hex
    source: str  # META-INF/CERT.RSA, or "APK Signing Block (v2)"
    debug: bool = False

    @property
    def developer(self) -> str | None:
        """The organisation the subject names, else its common name; None for a debug key."""
        if self.debug:
            return None
        return self.subject.get("O") or self.subject.get("CN") or None


@dataclass(frozen=True)
class AppInfo:
    """Identity of the audited package."""

    package: str
    version_name: str | None = None
    version_code: str | None = None
    min_sdk: int | None = None
    target_sdk: int | None = None
    label: str | None = None
    application_class: str | None = None
    file_name: str = ""
    sha256: str = ""
    size: int = 0
    dex_files: tuple[str, ...] = ()
    # DEX read besides the APK's classes*.dex: payloads its code loads
    # ("assets/p.jar!/classes.dex") and DEX dumped at run time ("dex-dir/classes.dex")
    loaded_dex: tuple[str, ...] = ()
    class_count: int = 0
    method_count: int = 0
    signer: SigningCert | None = None
    signer_note: str = ""  # why no signer was read (unsigned, malformed…), when ``signer`` is None


@dataclass(frozen=True)
class Permission:
    """A permission the manifest requests (uses-permission or uses-permission-sdk-23)."""

    name: str
    protection: str  # dangerous | normal | signature | special | unknown
    pi_types: tuple[str, ...]
    source: str
    max_sdk: int | None = None

    @property
    def is_runtime(self) -> bool:
        return self.protection == "dangerous"


@dataclass(frozen=True)
class Component:
    """An activity, service, receiver or provider declared in the manifest."""

    kind: str  # activity | service | receiver | provider | activity-alias
    name: str
    exported: bool | None
    source: str
    actions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    authorities: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True)
class ApiUse:
    """A call site (or field read) of a framework API that reaches personal information."""

    pi_type: str
    api: str  # e.g. android.telephony.TelephonyManager.getDeviceId
    caller_class: str  # dotted Java name
    caller_method: str  # name + descriptor, e.g. onCreate(Landroid/os/Bundle;)V
    dex: str
    offset: int  # byte offset of the instruction in the dex file
    source: str
    party: Party = Party.FIRST
    sdk: str | None = None  # catalog id of the SDK whose code makes the call
    library: str | None = None  # catalog id of the bundled open-source library holding the call
    # Whether any entry point of the app reaches this call site (pica.analysis.reachability);
    # None: not analysed. An unreached call site is present, never collection.
    reachable: bool | None = None
    # Which rule attributed the call site (pica.analysis.attribution, in this order):
    # "prefix": a catalog SDK's or library's code prefix (sdk/library say which); "app-package":
    # the caller lies under the app's own packages (manifest package, Application and component
    # packages); "jni": its class declares native methods an SDK's .so exports or registers, or
    # loads an SDK's library; "reach": its class is only reached from, and only reaches, one
    # SDK's code (obfuscated packages, helpers); "loader": it is in a DEX payload the code of
    # one SDK loads at run time (pica.analysis.apk); "native": a native library's PI read
    # (via="native"), the library named by an SDK's catalog entry; "unattributed": none holds, so whose code it
    # is stays unknown (party is still FIRST: nothing shows a third party).
    attributed_by: str = "prefix"
    # How the call is made: None, directly; "reflection": through java.lang.reflect, its
    # target resolved from constants in the calling method (pica.extract.apk.reflection);
    # "native": read in a native library's strings (a JNI lookup of the API, or an identifier's
    # property or file; pica.extract.apk.native), the caller its JNI class or the library file
    via: str | None = None

    @property
    def caller(self) -> str:
        return f"{self.caller_class}.{self.caller_method.split('(', 1)[0]}"


@dataclass(frozen=True)
class HostRef:
    """A URL or host name found as a string constant in code or resources."""

    host: str
    url: str
    source: str


@dataclass(frozen=True)
class EmbeddedPolicy:
    """A privacy policy the package carries: a text/HTML file or a link to one."""

    kind: str  # file | url | mention (a UI string naming the policy, no text or link)
    location: str  # path inside the APK, or the URL
    excerpt: str
    source: str


@dataclass(frozen=True)
class ResourceString:
    """A string resource value (used to look for permission purpose texts and policy links)."""

    name: str
    value: str
    source: str


@dataclass(frozen=True)
class SdkPresence:
    """A third-party SDK detected in the package, with the signals it rests on."""

    sdk_id: str
    name: str
    name_zh: str | None
    vendor: str
    category: str
    chinese: bool
    signals: tuple[str, ...]
    pi_types: tuple[str, ...] = ()
    policy_url: str | None = None
    aliases: tuple[str, ...] = ()  # names a policy may use for it (catalog aliases)
    # strong: its code is in the package; medium: a native library of it, or a manifest
    # component whose class is present; weak: only a domain string, or manifest entries whose
    # classes are absent. Weak detections are facts, never counted as an SDK the app carries.
    confidence: str = "strong"


@dataclass(frozen=True)
class PackerSignal:
    """One name in the APK that a packer leaves (pica.knowledge.packers)."""

    kind: str  # application | class | native_lib | asset
    value: str  # the name found (class, file)
    pattern: str  # the packers.yaml entry it matched
    source: str


@dataclass(frozen=True)
class PackerPresence:
    """A packer (hardening service) detected: the app's real code is hidden from a static
    reader until it is unpacked (pica issue 16)."""

    packer_id: str
    vendor: str
    name: str
    signals: tuple[PackerSignal, ...]


@dataclass(frozen=True)
class HiddenCode:
    """Code a static reader could not see: a packer's encrypted DEX, an encrypted or
    unreadable payload, a reflective call whose target stays unknown. Each one makes a
    verdict that rests on finding nothing in the code inconclusive (rules.common)."""

    kind: str  # packer | payload | reflection | native
    detail: str  # what, in words ("360加固 (Jiagu)", "assets/x.bin: encrypted (entropy 7.99)")
    source: str
    blocks_absence: bool = True  # False: a fact only (an unresolved call in known code)
