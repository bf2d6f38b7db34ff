"""Mail in: parsing, classification and threading of single messages."""
