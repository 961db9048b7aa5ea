"""Diffusion losses (DDPM): noise-, x0- and v-prediction."""
