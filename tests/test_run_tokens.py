"""The run's collections token: signed claims that only the deployment's secret makes, expiring."""

from __future__ import annotations

from openfn.run_tokens import RunClaims, sign, verify

CLAIMS = RunClaims("clinic", "clinic.referral", "manual__2024", 2_000_000_000.0)


def test_a_signed_token_gives_back_its_claims():
    assert verify("s3cret", sign("s3cret", CLAIMS), now=1_900_000_000) == CLAIMS


def test_another_secret_a_changed_claim_or_garbage_gives_nothing():
    token = sign("s3cret", CLAIMS)
    prefix, payload, signature = token.split(".")
    forged = sign("s3cret", RunClaims("forms", CLAIMS.dag_id, CLAIMS.run_id, CLAIMS.expires)).split(".")[1]
    for candidate in (sign("other", CLAIMS), f"{prefix}.{forged}.{signature}", "ofr1.x.y", "", "a.b", token + "x"):
        assert verify("s3cret", candidate, now=1_900_000_000) is None, candidate


def test_an_expired_token_gives_nothing():
    assert verify("s3cret", sign("s3cret", CLAIMS), now=2_000_000_001) is None
