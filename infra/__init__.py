"""wagate's AWS CDK app: `python infra/app.py` (make synth) and the CDK CLI (make deploy)."""
