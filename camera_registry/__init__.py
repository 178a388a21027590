"""The inventory (登记册): cameras, sensors and places (街道 > 社区 > 网格) and their database."""
