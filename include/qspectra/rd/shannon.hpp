#pragma once
// The Gaussian rate-distortion bound, the yardstick of the rate-distortion study:
// a memoryless Gaussian source of variance sigma^2 coded at R bits/sample has D(R) = sigma^2 2^(-2R),
// and no quantizer of any kind does better at that rate; for other sources it is an upper bound on D*.
namespace qspectra::rd {

double shannon_distortion(double sigma2, double rate_bits);  // sigma2 * 2^(-2 R)
// R(D) = 1/2 log2(sigma2 / D) for 0 < D < sigma2, 0 for D >= sigma2; NaN for D <= 0 or sigma2 <= 0.
double shannon_rate(double sigma2, double distortion);
// Gap in bits of an achieved MSE to the bound at the same rate: 1/2 log2(mse / D(R)).
// mse == 0 -> -inf (not an error); shannon_d <= 0 or a non-finite input -> NaN.
double gap_bits(double mse, double shannon_d);

}  // namespace qspectra::rd
