"""Samplers: Langevin MCMC (plain and annealed) and the DDPM forward/reverse processes."""
