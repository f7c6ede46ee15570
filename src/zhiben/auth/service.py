"""Users, passwords (argon2id), login tokens (JWT, HS256) and principals."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import jwt
from pwdlib import PasswordHash
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role, division_prefix
from zhiben.auth.models import ServiceContract, User
from zhiben.db.uow import session_clock
from zhiben.errors import AuthenticationError, DuplicateError, InvalidInputError, PermissionDeniedError
from zhiben.kit.clock import SHANGHAI

TOKEN_ALGORITHM = "HS256"
MIN_PASSWORD_LENGTH = 8


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def principal_of(user: User, as_of: date | None = None) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        division_code=user.division_code,
        enterprise_id=user.enterprise_id,
        provider_org=user.provider_org,
        sectors=frozenset(s for s in user.sectors.split(",") if s),
        language=user.language,
        as_of=as_of,
    )


def _check_new_user(
    role: Role, division_code: str, enterprise_id: int | None, provider_org: str | None
) -> None:
    try:
        division_prefix(division_code)
    except ValueError as exc:
        raise InvalidInputError("division_code", "format", str(exc)) from exc
    if role == Role.enterprise and enterprise_id is None:
        raise InvalidInputError("enterprise_id", "required", "an enterprise user belongs to an enterprise")
    if role == Role.service_provider and not provider_org:
        raise InvalidInputError(
            "provider_org", "required", "a service provider user belongs to an organisation"
        )


def add_user(
    session: Session,
    actor: Principal,
    username: str,
    password: str,
    role: Role,
    *,
    display_name: str = "",
    division_code: str = "",
    enterprise_id: int | None = None,
    provider_org: str | None = None,
    sectors: frozenset[str] = frozenset(),
    language: str = "zh-CN",
) -> User:
    if actor.role != Role.admin:
        raise PermissionDeniedError(action="user.add")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            "password", "too_short", f"a password has at least {MIN_PASSWORD_LENGTH} characters"
        )
    if not username.strip():
        raise InvalidInputError("username", "required", "the username is required")
    _check_new_user(role, division_code, enterprise_id, provider_org)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DuplicateError(kind="user", key=username)
    user = User(
        username=username.strip(),
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role.value,
        division_code=division_code,
        enterprise_id=enterprise_id,
        provider_org=provider_org,
        sectors=",".join(sorted(sectors)),
        language=language,
        is_active=True,
        created_at=session_clock(session).now(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "user.add",
        "user",
        str(user.id),
        after={
            "username": user.username,
            "role": user.role,
            "division_code": division_code,
            "enterprise_id": enterprise_id,
            "provider_org": provider_org,
            "sectors": user.sectors,
        },
    )
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        _hasher().hash(password)  # spend the same time whether or not the user exists
        raise AuthenticationError()
    valid, updated = _hasher().verify_and_update(password, user.password_hash)
    if not valid or not user.is_active:
        raise AuthenticationError()
    if updated:
        user.password_hash = updated
    return user


def issue_token(user: User, secret: str, now: datetime, ttl: timedelta) -> str:
    claims = {
        "sub": str(user.id),
        "role": user.role,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=TOKEN_ALGORITHM)


def principal_from_token(session: Session, token: str, secret: str, now: datetime) -> Principal:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[TOKEN_ALGORITHM],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.PyJWTError as exc:
        raise AuthenticationError() from exc
    if int(claims.get("exp", 0)) <= now.timestamp():
        raise AuthenticationError()
    user = session.get(User, int(claims["sub"]))
    if user is None or not user.is_active:
        raise AuthenticationError()
    return principal_of(user, as_of=now.astimezone(SHANGHAI).date())


def add_contract(
    session: Session,
    actor: Principal,
    provider_org: str,
    enterprise_id: int,
    kind: str,
    valid_from: datetime,
    valid_until: datetime,
) -> ServiceContract:
    if actor.role != Role.admin:
        raise PermissionDeniedError(action="contract.add")
    contract = ServiceContract(
        provider_org=provider_org,
        enterprise_id=enterprise_id,
        kind=kind,
        valid_from=valid_from.date(),
        valid_until=valid_until.date(),
    )
    session.add(contract)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "contract.add",
        "service_contract",
        str(contract.id),
        after={"provider_org": provider_org, "enterprise_id": enterprise_id, "kind": kind},
    )
    return contract


LANGUAGES = ("zh-CN", "en")


def set_language(session: Session, actor: Principal, language: str) -> User:
    """The language the user's pages and messages use from now on (the web UI's switch)."""
    if language not in LANGUAGES:
        raise InvalidInputError("language", "enum", f"language is one of {', '.join(LANGUAGES)}")
    user = session.get(User, actor.user_id)
    if user is None:
        raise AuthenticationError()
    if user.language != language:
        audit.record(
            session,
            actor.audit_name,
            "user.language",
            "user",
            str(user.id),
            before={"language": user.language},
            after={"language": language},
        )
        user.language = language
        session.flush()
    return user
