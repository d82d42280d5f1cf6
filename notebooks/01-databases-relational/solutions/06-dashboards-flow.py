# Solutions to the exercises of 06-dashboards-flow.ipynb. Each block replaces the exercise
# cell of the same number; CI runs the notebook with them and checks each passes.

# %% Exercise 1
# Exercise 1: cancellations reach the rollup
from sqlalchemy import update


def cancel_order(order_id: int) -> None:
    with engine.begin() as conn:  # the status and its day's rollup row change together
        day = conn.execute(select(order_day).where(Order.id == order_id)).scalar_one()
        conn.execute(update(Order).where(Order.id == order_id).values(status="cancelled"))
        refresh_days(conn, [day])


# %% Exercise 2
# Exercise 2: share of revenue with a window function
def product_shares(start: date, end: date, limit: int):
    revenue = func.sum(line_total)
    share = cast(revenue, Float) / func.sum(revenue).over()  # a float on every engine
    return (
        select(Product.name.label("product"), revenue.label("revenue_cents"), share.label("share"))
        .join_from(OrderItem, Order, OrderItem.order_id == Order.id)
        .join(Product, Product.id == OrderItem.product_id)
        .where(not_cancelled, *day_range(start, end))
        .group_by(Product.id, Product.name)
        .order_by(revenue.desc(), Product.id)
        .limit(limit)
    )
