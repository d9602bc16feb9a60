"""Business rules, shared by the GraphQL resolvers, the workers and the CLI.

Services take the acting viewer, enforce who may do what and never commit: the caller
(a request or a job) owns the transaction.
"""
