"""Name pools for simulated players, by name group, and the transliteration used for emails and card embossing.

Russian- and Kazakh-speaking players get Cyrillic names (cards and e-mails carry the Latin transliteration, as
real ones do); everyone else gets names typical of their country. Pools are small on purpose: realistic, not
exhaustive.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NamePool:
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    # Surname endings that take a feminine form (Иванов -> Иванова, Kowalski -> Kowalska).
    slavic: bool = False


def _t(text: str) -> tuple[str, ...]:
    return tuple(text.split())


POOLS: dict[str, NamePool] = {
    "ru": NamePool(
        _t("Александр Дмитрий Максим Сергей Андрей Алексей Иван Михаил Никита Артём Евгений Владимир Павел Роман Олег"),
        _t("Анна Мария Екатерина Ольга Наталья Елена Татьяна Ирина Юлия Анастасия Дарья Светлана Ксения Полина"),
        _t(
            "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков Алексеев "
            "Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин Захаров"
        ),
        slavic=True,
    ),
    "kz": NamePool(
        _t("Нурлан Ержан Дамир Бауыржан Асхат Руслан Тимур Арман Данияр Санжар"),
        _t("Асель Айгерим Алия Мадина Динара Жанна Камила Сауле Аружан Гульнара"),
        _t("Ахметов Садыков Жумабаев Нургалиев Касымов Искаков Омаров Сейткалиев Тулегенов Абенов"),
        slavic=True,
    ),
    "de": NamePool(
        _t("Lukas Jonas Leon Felix Maximilian Paul Tobias Stefan Florian Matthias Niklas"),
        _t("Anna Lea Laura Julia Sophie Hannah Lena Katharina Sarah Johanna Marie"),
        _t("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Wolf Bauer"),
    ),
    "fi": NamePool(
        _t("Mikko Juha Antti Jukka Ville Matti Teemu Lauri Eero Joonas"),
        _t("Aino Emilia Sanna Laura Johanna Noora Elina Anni Veera Kaisa"),
        _t("Virtanen Korhonen Mäkinen Nieminen Mäkelä Hämäläinen Laine Heikkinen Koskinen Järvinen"),
    ),
    "es": NamePool(
        _t("Javier Alejandro Daniel Pablo David Sergio Carlos Álvaro Diego Adrián Mateo"),
        _t("Lucía María Paula Laura Marta Andrea Sara Carmen Elena Valentina Sofía"),
        _t("García Martínez López Sánchez González Rodríguez Fernández Pérez Gómez Ruiz Hernández Díaz Torres"),
    ),
    "it": NamePool(
        _t("Marco Luca Alessandro Matteo Andrea Davide Francesco Lorenzo Simone Giorgio"),
        _t("Giulia Chiara Francesca Sara Martina Valentina Alessia Elisa Federica Sofia"),
        _t("Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Conti Gallo"),
    ),
    "fr": NamePool(
        _t("Julien Thomas Nicolas Antoine Maxime Hugo Louis Théo Pierre Alexandre"),
        _t("Camille Manon Léa Chloé Sarah Julie Inès Emma Pauline Claire"),
        _t("Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèvre"),
    ),
    "nl": NamePool(
        _t("Daan Sem Lucas Milan Thijs Bram Jesse Ruben Lars Niels"),
        _t("Sanne Emma Julia Lotte Fleur Anouk Eva Lisa Sophie Iris"),
        _t("Jansen Visser Smit Meijer Bakker Mulder Bos Vos Peters Hendriks Dekker Brouwer"),
    ),
    "pl": NamePool(
        _t("Jakub Kacper Piotr Tomasz Paweł Michał Krzysztof Mateusz Łukasz Marcin Adam"),
        _t("Zofia Anna Katarzyna Magdalena Agnieszka Joanna Natalia Aleksandra Monika Julia"),
        _t("Kowalski Nowak Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak Dąbrowski"),
        slavic=True,
    ),
    "en": NamePool(
        _t("Liam Noah Oliver James William Benjamin Jack Ethan Lucas Henry Samuel Daniel Ryan"),
        _t("Olivia Emma Charlotte Amelia Sophia Isla Chloe Grace Emily Hannah Ava Mia"),
        _t("Smith Johnson Williams Brown Jones Wilson Taylor Anderson Thomas White Martin Thompson Clarke Walker"),
    ),
    "ie": NamePool(
        _t("Conor Seán Cian Oisín Darragh Liam Patrick Ciarán Eoin Niall"),
        _t("Aoife Niamh Saoirse Ciara Róisín Siobhán Emma Sinéad Orla Caoimhe"),
        _t("Murphy Kelly O'Sullivan Walsh O'Brien Byrne Ryan O'Connor Doyle McCarthy"),
    ),
    "pt": NamePool(
        _t("João Pedro Tiago Rui Miguel Diogo Francisco Ricardo Nuno André"),
        _t("Inês Beatriz Mariana Ana Catarina Sofia Rita Joana Carolina Marta"),
        _t("Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Martins Sousa Fernandes Gonçalves"),
    ),
    "br": NamePool(
        _t("Lucas Gabriel Matheus Rafael Gustavo Felipe Bruno Thiago Leonardo Vinícius Caio"),
        _t("Ana Mariana Juliana Camila Beatriz Larissa Letícia Fernanda Amanda Gabriela Bruna"),
        _t("Silva Santos Oliveira Souza Lima Pereira Ferreira Costa Rodrigues Almeida Nascimento Carvalho Ribeiro"),
    ),
    "latam": NamePool(
        _t("Diego Santiago Matías Sebastián Nicolás Alejandro Joaquín Tomás Emiliano Andrés"),
        _t("Valentina Sofía Camila Isabella Mariana Daniela Fernanda Martina Ximena Renata"),
        _t("Hernández López González Ramírez Flores Rojas Morales Vargas Castillo Muñoz Torres Reyes Quispe"),
    ),
    "in": NamePool(
        _t("Arjun Rahul Rohan Vikram Aditya Karan Siddharth Amit Nikhil Varun"),
        _t("Priya Ananya Sneha Pooja Kavya Neha Divya Aishwarya Riya Meera"),
        _t("Sharma Patel Singh Kumar Gupta Reddy Iyer Nair Mehta Joshi Rao"),
    ),
    "jp": NamePool(
        _t("Hiroshi Takeshi Kenji Yuto Haruto Sota Daiki Ryo Kaito Shota"),
        _t("Yuki Sakura Aoi Hana Yui Miyu Rin Mei Haruka Nanami"),
        _t("Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato"),
    ),
    "tr": NamePool(
        _t("Emre Mehmet Mustafa Ahmet Burak Can Mert Kerem Eren Onur"),
        _t("Elif Zeynep Ayşe Fatma Merve Büşra Ece Selin Defne Ebru"),
        _t("Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Arslan"),
    ),
}

_CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "ұ": "u",
    "ү": "u",
    "қ": "k",
    "ғ": "g",
    "ң": "n",
    "ө": "o",
    "һ": "h",
    "і": "i",
    "ә": "a",
}
_LATIN_SPECIAL = {"ł": "l", "ı": "i", "ß": "ss", "æ": "ae", "ø": "o", "'": ""}


def feminine_surname(surname: str, pool: NamePool) -> str:
    if not pool.slavic:
        return surname
    if surname.endswith(("ов", "ев", "ёв", "ин")):
        return surname + "а"
    if surname.endswith("ski"):
        return surname[:-1] + "a"
    return surname


def transliterate(text: str) -> str:
    """Latin ASCII letters for e-mails and card embossing: ``Фёдоров`` -> ``Fedorov``, ``Müller`` -> ``Muller``."""
    out: list[str] = []
    for char in text:
        lower = char.lower()
        if lower in _CYRILLIC:
            latin = _CYRILLIC[lower]
            out.append(latin.capitalize() if char != lower else latin)
        elif lower in _LATIN_SPECIAL:
            latin = _LATIN_SPECIAL[lower]
            out.append(latin.upper() if char != lower else latin)
        else:
            out.append(char)
    decomposed = unicodedata.normalize("NFKD", "".join(out))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).encode("ascii", "ignore").decode()
