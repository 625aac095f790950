# WARNING: No failbacks
# A file of shared declarations only: valid, with a warning.
variable "region" {
  default = "us-east-1"
}
provider "aws" "shared" {
  region = var.region
}
