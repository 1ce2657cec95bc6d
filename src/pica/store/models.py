"""The store's tables (SQLAlchemy 2 declarative models); the schema itself is made by the
Alembic migrations beside this module, never by ``create_all``.

app 1—n version 1—n scan 1—n finding / sdk; batch n—n scan through batch_scan (a re-run's
batch lists the scans it skipped as already done, so an export of that batch is complete).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class App(Base):
    """One package, whatever its versions."""

    __tablename__ = "app"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package: Mapped[str] = mapped_column(String(255), unique=True)
    label: Mapped[str | None] = mapped_column(String(255))
    developer: Mapped[str | None] = mapped_column(String(255))
    versions: Mapped[list[Version]] = relationship(back_populates="app")


class Version(Base):
    """One APK file (by sha256) of an app."""

    __tablename__ = "version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("app.id"), index=True)
    version_name: Mapped[str | None] = mapped_column(String(255))
    version_code: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    app: Mapped[App] = relationship(back_populates="versions")


class Batch(Base):
    """One ``pica batch`` run: its arguments and when it ran."""

    __tablename__ = "batch"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pica_version: Mapped[str] = mapped_column(String(32))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)


class Scan(Base):
    """One audit of one input set. ``status`` is running until the transaction that writes
    its findings, SDKs and report marks it done (or failed, with one error line)."""

    __tablename__ = "scan"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("version.id"), index=True)
    input: Mapped[str] = mapped_column(Text)  # the APK's path as given
    sha256: Mapped[str] = mapped_column(String(64))  # the APK file's, even when it is corrupt
    inputs_digest: Mapped[str] = mapped_column(String(64))  # policy, category, trace ("" if none)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)  # {apk, policy, category, trace} + sha256s
    pica_version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # running | done | failed
    error: Mapped[str | None] = mapped_column(Text)
    error_kind: Mapped[str | None] = mapped_column(String(16))  # input | budget | crash
    app_category: Mapped[str | None] = mapped_column(String(64))  # type given or proposed
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    seconds: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the JSON report document
    version: Mapped[Version | None] = relationship()
    findings: Mapped[list[Finding]] = relationship(
        back_populates="scan", cascade="all, delete-orphan", order_by="Finding.id"
    )
    sdks: Mapped[list[SdkPresence]] = relationship(
        back_populates="scan", cascade="all, delete-orphan", order_by="SdkPresence.id"
    )
    __table_args__ = (Index("ix_scan_lookup", "sha256", "pica_version", "inputs_digest"),)


class BatchScan(Base):
    __tablename__ = "batch_scan"
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id"), primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan.id"), primary_key=True, index=True)
    skipped: Mapped[bool] = mapped_column(default=False)  # already done before this batch


class Finding(Base):
    __tablename__ = "finding"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(8), index=True)
    verdict: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(Text)
    party: Mapped[str] = mapped_column(Text)  # "app", SDK names, or "" (no cited fact)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # the finding's cites
    scan: Mapped[Scan] = relationship(back_populates="findings")


class SdkPresence(Base):
    __tablename__ = "sdk"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan.id"), index=True)
    sdk_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255))
    vendor: Mapped[str | None] = mapped_column(String(255))
    chinese: Mapped[bool] = mapped_column(default=False)
    confidence: Mapped[str] = mapped_column(String(16))  # strong | medium | weak
    scan: Mapped[Scan] = relationship(back_populates="sdks")
