"""Demo geography: countries, real ISO 3166-2 subdivisions and city coordinates (for H3 cells)."""

from __future__ import annotations

from typing import Final

# country → (region, relative volume, [(admin1, city, lat, lng), ...])
GEOGRAPHY: Final[dict[str, tuple[str, float, list[tuple[str, str, float, float]]]]] = {
    "TH": (
        "sea",
        5,
        [
            ("TH-10", "Bangkok", 13.75, 100.50),
            ("TH-20", "Chon Buri", 13.36, 100.98),
            ("TH-50", "Chiang Mai", 18.79, 98.98),
            ("TH-74", "Samut Sakhon", 13.55, 100.27),
        ],
    ),
    "VN": (
        "sea",
        3,
        [("VN-HN", "Hanoi", 21.03, 105.85), ("VN-SG", "Ho Chi Minh City", 10.82, 106.63)],
    ),
    "KH": (
        "sea",
        3,
        [("KH-12", "Phnom Penh", 11.56, 104.92), ("KH-18", "Sihanoukville", 10.63, 103.52)],
    ),
    "MM": ("sea", 2, [("MM-06", "Yangon", 16.87, 96.20), ("MM-11", "Myitkyina", 25.38, 97.40)]),
    "PH": ("sea", 4, [("PH-00", "Manila", 14.60, 120.98), ("PH-CEB", "Cebu", 10.32, 123.89)]),
    "ID": (
        "sea",
        4,
        [
            ("ID-JK", "Jakarta", -6.21, 106.85),
            ("ID-JT", "Semarang", -6.97, 110.42),
            ("ID-BA", "Denpasar", -8.65, 115.22),
        ],
    ),
    "MY": (
        "sea",
        3,
        [("MY-14", "Kuala Lumpur", 3.14, 101.69), ("MY-01", "Johor Bahru", 1.49, 103.74)],
    ),
    "LA": ("sea", 1, [("LA-VT", "Vientiane", 17.97, 102.63)]),
    "IN": (
        "sa",
        7,
        [
            ("IN-MH", "Mumbai", 19.08, 72.88),
            ("IN-DL", "Delhi", 28.61, 77.21),
            ("IN-WB", "Kolkata", 22.57, 88.36),
            ("IN-TN", "Chennai", 13.08, 80.27),
        ],
    ),
    "BD": ("sa", 3, [("BD-13", "Dhaka", 23.81, 90.41), ("BD-10", "Chattogram", 22.36, 91.78)]),
    "NP": ("sa", 2, [("NP-P3", "Kathmandu", 27.72, 85.32)]),
    "PK": ("sa", 3, [("PK-PB", "Lahore", 31.55, 74.34), ("PK-SD", "Karachi", 24.86, 67.01)]),
    "LK": ("sa", 1, [("LK-1", "Colombo", 6.93, 79.85)]),
    "AE": ("me", 3, [("AE-DU", "Dubai", 25.20, 55.27), ("AE-AZ", "Abu Dhabi", 24.45, 54.38)]),
    "SA": ("me", 3, [("SA-01", "Riyadh", 24.71, 46.68), ("SA-02", "Jeddah", 21.49, 39.19)]),
    "QA": ("me", 2, [("QA-DA", "Doha", 25.29, 51.53)]),
    "LB": ("me", 1, [("LB-BA", "Beirut", 33.89, 35.50)]),
    "JO": ("me", 1, [("JO-AM", "Amman", 31.95, 35.93)]),
    "NG": (
        "af",
        5,
        [
            ("NG-LA", "Lagos", 6.52, 3.38),
            ("NG-ED", "Benin City", 6.34, 5.63),
            ("NG-FC", "Abuja", 9.08, 7.40),
        ],
    ),
    "GH": ("af", 2, [("GH-AA", "Accra", 5.60, -0.19), ("GH-AH", "Kumasi", 6.69, -1.62)]),
    "KE": ("af", 2, [("KE-30", "Nairobi", -1.29, 36.82), ("KE-28", "Mombasa", -4.04, 39.67)]),
    "ET": ("af", 2, [("ET-AA", "Addis Ababa", 9.03, 38.74)]),
    "UG": ("af", 1, [("UG-102", "Kampala", 0.35, 32.58)]),
    "ZA": (
        "af",
        2,
        [("ZA-GP", "Johannesburg", -26.20, 28.05), ("ZA-WC", "Cape Town", -33.92, 18.42)],
    ),
    "CI": ("af", 1, [("CI-AB", "Abidjan", 5.36, -4.01)]),
    "LY": ("af", 1, [("LY-TB", "Tripoli", 32.89, 13.19)]),
    "GB": ("eu", 5, [("GB-LND", "London", 51.51, -0.13), ("GB-MAN", "Manchester", 53.48, -2.24)]),
    "DE": ("eu", 4, [("DE-BE", "Berlin", 52.52, 13.40), ("DE-NW", "Cologne", 50.94, 6.96)]),
    "IT": (
        "eu",
        4,
        [
            ("IT-62", "Rome", 41.90, 12.50),
            ("IT-25", "Milan", 45.46, 9.19),
            ("IT-75", "Foggia", 41.46, 15.55),
            ("IT-82", "Palermo", 38.12, 13.36),
        ],
    ),
    "ES": (
        "eu",
        3,
        [
            ("ES-AN", "Almeria", 36.84, -2.46),
            ("ES-MD", "Madrid", 40.42, -3.70),
            ("ES-CT", "Barcelona", 41.39, 2.17),
        ],
    ),
    "FR": ("eu", 3, [("FR-IDF", "Paris", 48.86, 2.35), ("FR-PAC", "Marseille", 43.30, 5.37)]),
    "NL": ("eu", 2, [("NL-NH", "Amsterdam", 52.37, 4.90)]),
    "PL": ("eu", 1, [("PL-MZ", "Warsaw", 52.23, 21.01)]),
    "RO": ("eu", 2, [("RO-B", "Bucharest", 44.43, 26.10), ("RO-IS", "Iasi", 47.16, 27.59)]),
    "UA": ("eu", 1, [("UA-30", "Kyiv", 50.45, 30.52)]),
    "MD": ("eu", 1, [("MD-CU", "Chisinau", 47.01, 28.86)]),
    "AL": ("eu", 1, [("AL-11", "Tirana", 41.33, 19.82)]),
    "GR": ("eu", 1, [("GR-I", "Athens", 37.98, 23.73)]),
    "US": (
        "am",
        7,
        [
            ("US-TX", "Houston", 29.76, -95.37),
            ("US-CA", "Los Angeles", 34.05, -118.24),
            ("US-NY", "New York", 40.71, -74.01),
            ("US-FL", "Miami", 25.76, -80.19),
        ],
    ),
    "MX": (
        "am",
        4,
        [
            ("MX-CMX", "Mexico City", 19.43, -99.13),
            ("MX-BCN", "Tijuana", 32.51, -117.04),
            ("MX-CHP", "Tapachula", 14.90, -92.26),
        ],
    ),
    "GT": ("am", 1, [("GT-GU", "Guatemala City", 14.63, -90.51)]),
    "CO": ("am", 2, [("CO-DC", "Bogota", 4.71, -74.07), ("CO-ANT", "Medellin", 6.24, -75.58)]),
    "BR": (
        "am",
        4,
        [
            ("BR-SP", "Sao Paulo", -23.55, -46.63),
            ("BR-PA", "Belem", -1.46, -48.49),
            ("BR-MG", "Belo Horizonte", -19.92, -43.94),
        ],
    ),
    "PE": (
        "am",
        1,
        [("PE-LIM", "Lima", -12.05, -77.04), ("PE-MDD", "Puerto Maldonado", -12.59, -69.19)],
    ),
    "DO": ("am", 1, [("DO-01", "Santo Domingo", 18.49, -69.93)]),
    "HT": ("am", 1, [("HT-OU", "Port-au-Prince", 18.59, -72.31)]),
    "CA": ("am", 2, [("CA-ON", "Toronto", 43.65, -79.38)]),
    "CN": ("ea", 3, [("CN-GD", "Guangzhou", 23.13, 113.26), ("CN-YN", "Kunming", 25.04, 102.71)]),
    "JP": ("ea", 1, [("JP-13", "Tokyo", 35.68, 139.69)]),
    "KR": ("ea", 1, [("KR-11", "Seoul", 37.57, 126.98)]),
    "AU": ("oc", 1, [("AU-NSW", "Sydney", -33.87, 151.21)]),
    "FJ": ("oc", 0.3, [("FJ-C", "Suva", -18.14, 178.44)]),
}
