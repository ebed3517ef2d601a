"""language-common's ``beta`` namespace: ``beta.each``, which puts ``data`` back as it was once every item has run.

Example:
    from openfn.adaptors.common import beta, post, data_value

    operations = [beta.each("$.data.patients[*]", post("/patients", body=data_value("$")))]
"""

from openfn.adaptors._flow import beta_each as each

__all__ = ["each"]
