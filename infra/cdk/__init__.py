"""The AWS CDK app: everything stateful, the workers and the web Lambda's role (see README.md)."""
