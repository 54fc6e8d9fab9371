"""SQLAlchemy declarative models of the relations workload (shared by the sync and async contenders)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Integer, Numeric, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


book_tag = Table(
    "rel_book_tag",
    Base.metadata,
    Column("book_id", ForeignKey("rel_book.id"), primary_key=True),
    Column("tag_id", ForeignKey("rel_tag.id"), primary_key=True),
)


class Country(Base):
    __tablename__ = "rel_country"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))


class Author(Base):
    __tablename__ = "rel_author"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    country_id: Mapped[int] = mapped_column(ForeignKey("rel_country.id"))
    country: Mapped[Country] = relationship()
    books: Mapped[list[Book]] = relationship(back_populates="author")
    awards: Mapped[list[Award]] = relationship()
    addresses: Mapped[list[Address]] = relationship()


class Tag(Base):
    __tablename__ = "rel_tag"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))


class Book(Base):
    __tablename__ = "rel_book"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    author_id: Mapped[int] = mapped_column(ForeignKey("rel_author.id"))
    author: Mapped[Author] = relationship(back_populates="books")
    tags: Mapped[list[Tag]] = relationship(secondary=book_tag)


class Award(Base):
    __tablename__ = "rel_award"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    author_id: Mapped[int] = mapped_column(ForeignKey("rel_author.id"))


class Address(Base):
    __tablename__ = "rel_address"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city: Mapped[str] = mapped_column(String(255))
    author_id: Mapped[int] = mapped_column(ForeignKey("rel_author.id"))


class Sale(Base):
    __tablename__ = "rel_sale"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("rel_book.id"))
    region: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
