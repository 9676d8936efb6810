"""The embedded local AWS: moto's server on loopback, the resources, the SQS→worker loop.

Everything lives in memory and is gone when the process stops.
"""
