"""Identity's pure rules: addresses, the password policy, sign-in limits, second-factor maths."""
