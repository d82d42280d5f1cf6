# Solutions to the exercises of 02-modelling-crud-transactions.ipynb. Each block replaces
# the exercise cell of the same number; CI runs the notebook with them and checks each passes.

# %% Exercise 1
# Exercise 1: top customers by revenue
revenue = func.sum(OrderItem.quantity * OrderItem.unit_price_cents).label("revenue_cents")
top_five = (
    select(Customer.id, Customer.name, revenue)
    .join(Order, col(Order.customer_id) == Customer.id)
    .join(OrderItem, col(OrderItem.order_id) == Order.id)
    .where(col(Order.status).in_(["paid", "shipped"]))
    .group_by(Customer.id, Customer.name)
    .order_by(revenue.desc(), Customer.id)
    .limit(5)
)
