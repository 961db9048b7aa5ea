"""Energy-based losses: maximum likelihood with Langevin MCMC, denoising score matching."""
